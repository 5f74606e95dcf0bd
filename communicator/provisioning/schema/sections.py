"""Sections of the profile: agent, SIP account, equipment, NAT, registration, media, recording
and PBX-side settings. Call-center and forwarding sections live in their own modules."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    Field,
    SecretStr,
    SerializationInfo,
    Strict,
    field_serializer,
    field_validator,
    model_validator,
)

from .base import Section, lower_case
from .codecs import DEFAULT_CODECS, canonical_codec
from .enums import (
    DtmfMethod,
    EquipmentType,
    NatMode,
    PeerType,
    RecordFormat,
    SrtpMode,
    StaticIpProtocol,
    Transport,
)
from .validators import (
    Bool,
    Int,
    Port,
    Str,
    between,
    check_host,
    check_ip_address,
    check_text,
    describe,
    fail,
)

__all__ = [
    "DEFAULT_PBX_CONTEXT",
    "MAX_LINES_LIMIT",
    "AgentSettings",
    "Equipment",
    "MediaSettings",
    "NatSettings",
    "PbxSettings",
    "RecordingSettings",
    "Registration",
    "SipAccount",
]

MAX_LINES_LIMIT = 12
"""Upper bound for :attr:`AgentSettings.max_lines`."""

DEFAULT_PBX_CONTEXT = "from-sip"

INCLUDE_SECRETS = "include_secrets"
"""Serialisation-context flag: when true, the SIP password is written in clear."""


def _pattern(regex: str, explanation: str) -> AfterValidator:
    compiled = re.compile(regex)

    def check(value: str) -> str:
        if not compiled.fullmatch(value):
            fail(f"{explanation} (got {describe(value)})")
        return value

    return AfterValidator(check)


def _optional_host(value: str) -> str:
    return check_host(value) if value else value


Host = Annotated[str, Strict(), AfterValidator(check_host)]
IpAddress = Annotated[str, Strict(), AfterValidator(check_ip_address)]
_check_sip_token = check_text(128, no_spaces=True)
SipToken = Annotated[str, Strict(), AfterValidator(_check_sip_token)]


# --------------------------------------------------------------------------------------- agent


class AgentSettings(Section):
    """Who the agent is and how many calls the client handles."""

    display_name: Annotated[Str, AfterValidator(check_text(128))] = Field(
        default="", description="Name shown in the client and in call logs."
    )
    login: Annotated[Str, AfterValidator(check_text(128, required=True, no_spaces=True))] = Field(
        description="Agent login name (the provisioning account)."
    )
    group: Annotated[Str, AfterValidator(check_text(128))] = Field(
        default="", description="Name of the agent group (team/queue) the agent belongs to."
    )
    country_code: Annotated[
        Str, _pattern(r"(?:[0-9]{1,3})?", "must be 1 to 3 digits without '+', e.g. '48'")
    ] = Field(default="", description="International dialling code, digits only, e.g. '48'.")
    phone_number: Annotated[
        Str,
        _pattern(
            r"(?:\+?(?=[^0-9]*[0-9])[0-9 ()\-]{1,32})?",
            "must be a phone number made of digits, spaces, '-', '(' and ')'",
        ),
    ] = Field(default="", description="The agent's direct phone number (may be empty).")
    extension: Annotated[Str, _pattern(r"[0-9]{1,16}", "must be 1 to 16 digits")] = Field(
        description="The agent's internal extension number, digits only."
    )
    max_lines: Annotated[Int, between(1, MAX_LINES_LIMIT)] = Field(
        default=2, description=f"Maximum simultaneous phone lines, 1..{MAX_LINES_LIMIT}."
    )
    min_call_log_seconds: Annotated[Int, between(0)] = Field(
        default=0, description="Calls shorter than this many seconds are not logged."
    )


# ------------------------------------------------------------------------------------- account


SIP_PORT = 5060
SIPS_PORT = 5061


def default_tls_port(port: int) -> int:
    """The TLS port when the profile names none: SIP over TLS listens on 5061 beside the
    standard 5060 (RFC 3261), so a profile with port 5060 uses 5061 for TLS; a server on any
    other port is taken to serve every transport on that port."""
    return SIPS_PORT if port == SIP_PORT else port


class SipAccount(Section):
    """The SIP (VoIP) account, as in SmarterTrack Communicator's VoIP account settings."""

    username: SipToken = Field(
        default="", description="VoIP user name; required when equipment type is sip_id."
    )
    password: SecretStr | None = Field(
        default=None,
        description="VoIP password. Never shown in repr/str/logs; serialised in clear only "
        "with include_secrets=True. None when the profile carries no secrets.",
    )
    auth_name: SipToken = Field(
        default="", description="Authentication name; defaults to the user name when empty."
    )
    server: Host = Field(description="SIP registrar/server host name or IP address.")
    port: Port = Field(default=5060, description="SIP server port, 1..65535.")
    domain: Annotated[Str, AfterValidator(_optional_host)] = Field(
        default="", description="SIP domain (realm of the AOR); empty means the server host."
    )
    outbound_proxy: Host | None = Field(
        default=None, description="Outbound proxy host name or IP address, if any."
    )
    outbound_proxy_port: Port = Field(default=5060, description="Outbound proxy port.")
    tls_port: Port | None = Field(
        default=None,
        description="SIP server port for the tls transport; None: 5061 when port is 5060, "
        "else port (see effective_tls_port).",
    )
    outbound_proxy_tls_port: Port | None = Field(
        default=None,
        description="Outbound proxy port for the tls transport; None: 5061 when "
        "outbound_proxy_port is 5060, else outbound_proxy_port.",
    )
    transports: tuple[Annotated[Transport, lower_case], ...] = Field(
        default=(Transport.UDP,),
        description="Transports in order of preference: udp, tcp, tls (no ws/wss).",
    )
    use_sdp: Bool = Field(
        default=True,
        description="True: send the SDP offer in the INVITE (early offer); False: late offer.",
    )
    caller_id: Annotated[Str, AfterValidator(check_text(128, forbidden='"\\'))] | None = Field(
        default=None, description="Display name sent as caller ID, if any."
    )

    @property
    def effective_tls_port(self) -> int:
        """The SIP server's port for TLS: `tls_port`, else `default_tls_port` of `port`."""
        return self.tls_port if self.tls_port is not None else default_tls_port(self.port)

    @property
    def effective_outbound_proxy_tls_port(self) -> int:
        """The outbound proxy's port for TLS (same rule, from `outbound_proxy_port`)."""
        if self.outbound_proxy_tls_port is not None:
            return self.outbound_proxy_tls_port
        return default_tls_port(self.outbound_proxy_port)

    def server_port(self, transport: Transport) -> int:
        """The SIP server's port for ``transport``: `port` for udp/tcp, the TLS port for tls."""
        return self.effective_tls_port if transport is Transport.TLS else self.port

    def outbound_proxy_port_for(self, transport: Transport) -> int:
        """The outbound proxy's port for ``transport`` (the same rule as `server_port`)."""
        if transport is Transport.TLS:
            return self.effective_outbound_proxy_tls_port
        return self.outbound_proxy_port

    @model_validator(mode="before")
    @classmethod
    def _default_auth_name(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("auth_name") in (None, ""):
            username = data.get("username")
            try:
                auth_name = _check_sip_token(username) if isinstance(username, str) else ""
            except ValueError:
                auth_name = ""  # the user name itself is reported, once
            data = {**data, "auth_name": auth_name}
        return data

    @field_validator("transports", mode="before")
    @classmethod
    def _reject_websockets(cls, value: Any) -> Any:
        if isinstance(value, list | tuple):
            for index, item in enumerate(value):
                if isinstance(item, str) and item.lower() in ("ws", "wss"):
                    fail(
                        f"transport {item!r} is not supported by this client (use udp, tcp or tls)",
                        field=index,
                    )
        return value

    @field_validator("transports")
    @classmethod
    def _check_transports(cls, value: tuple[Transport, ...]) -> tuple[Transport, ...]:
        if not value:
            fail("must list at least one transport")
        for index, transport in enumerate(value):
            if transport in value[:index]:
                fail(f"lists {transport.value!r} more than once", field=index)
        return value

    @field_validator("password")
    @classmethod
    def _check_password(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        secret = value.get_secret_value()
        if not secret:
            return None
        if len(secret) > 256:
            fail("must be at most 256 characters long")
        if any(ord(ch) < 32 or ord(ch) == 127 or 0xD800 <= ord(ch) <= 0xDFFF for ch in secret):
            fail("must not contain control characters")
        return value

    @field_serializer("password")
    def _serialise_password(self, value: SecretStr | None, info: SerializationInfo) -> str | None:
        if value is None:
            return None
        context = info.context
        if isinstance(context, dict) and context.get(INCLUDE_SECRETS) is True:
            return value.get_secret_value()
        return None

    @property
    def effective_domain(self) -> str:
        """The SIP domain to register in: :attr:`domain`, or the server host when empty."""
        return self.domain or self.server


# ----------------------------------------------------------------------------------- equipment


class Equipment(Section):
    """How the PBX recognises this phone."""

    type: Annotated[EquipmentType, lower_case] = Field(
        default=EquipmentType.SIP_ID,
        description="sip_id: register with user name and password; static_ip: no registration, "
        "the PBX trusts the workstation's address.",
    )
    workstation_ip: IpAddress | None = Field(
        default=None, description="Workstation IP address; required for static_ip."
    )
    protocol: Annotated[StaticIpProtocol, lower_case] = Field(
        default=StaticIpProtocol.UDP, description="Signalling protocol for static_ip: udp/tcp."
    )

    @model_validator(mode="after")
    def _static_ip_needs_address(self) -> Equipment:
        if self.type is EquipmentType.STATIC_IP and self.workstation_ip is None:
            fail("is required when the equipment type is static_ip", field="workstation_ip")
        return self


# ----------------------------------------------------------------------------------------- NAT


class NatSettings(Section):
    """NAT traversal: rport, keep-alives and STUN."""

    rport: Bool = Field(default=True, description="Ask for the response port (RFC 3581).")
    keepalive_seconds: Annotated[Int, between(0, 3600)] = Field(
        default=15, description="Keep-alive interval in seconds, 0 = off."
    )
    stun_server: Host | None = Field(default=None, description="STUN server host, if any.")
    stun_port: Port = Field(default=3478, description="STUN server port.")


# -------------------------------------------------------------------------------- registration


class Registration(Section):
    """Registration timers. The defaults are the seed values; the admin may change them."""

    expiry_seconds: Annotated[Int, between(1, 86400)] = Field(
        default=30, description="Registration expiry requested from the server (seconds)."
    )
    refresh_seconds: Annotated[Int, between(1, 86400)] = Field(
        default=15,
        description="Re-register every this many seconds; must be less than the expiry.",
    )

    @model_validator(mode="after")
    def _refresh_before_expiry(self) -> Registration:
        if self.refresh_seconds >= self.expiry_seconds:
            fail(
                f"must be less than expiry_seconds ({self.expiry_seconds}) "
                f"(got {self.refresh_seconds})",
                field="refresh_seconds",
            )
        return self


# --------------------------------------------------------------------------------------- media


def _codec_name(value: str) -> str:
    check_text(32, required=True, no_spaces=True)(value)
    return canonical_codec(value) or value


CodecName = Annotated[str, Strict(), AfterValidator(_codec_name)]


class MediaSettings(Section):
    """Codecs, DTMF and media encryption."""

    codecs: tuple[CodecName, ...] = Field(
        default=DEFAULT_CODECS,
        description="Allowed codecs in order of preference. Known names are stored in canonical "
        "spelling (aliases such as 'ulaw' are accepted); unknown names are kept as given and "
        "reported by VoipProfile.codec_report().",
    )
    dtmf: Annotated[DtmfMethod, lower_case] = Field(
        default=DtmfMethod.RFC4733, description="DTMF method: rfc4733 or sip_info."
    )
    srtp: Annotated[SrtpMode, lower_case] = Field(
        default=SrtpMode.DISABLED, description="SRTP: disabled, optional or mandatory."
    )

    @field_validator("codecs")
    @classmethod
    def _check_codecs(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            fail("must list at least one codec")
        seen: set[str] = set()
        for index, name in enumerate(value):
            key = name.lower()
            if key in seen:
                fail(f"lists {name!r} more than once", field=index)
            seen.add(key)
        return value


# ----------------------------------------------------------------------------------- recording


class RecordingSettings(Section):
    """Local call recording."""

    enabled: Bool = Field(default=False, description="Record calls.")
    format: Annotated[RecordFormat, lower_case] = Field(
        default=RecordFormat.WAV, description="Recording file format: wav, wav49 or gsm."
    )


# ----------------------------------------------------------------------------------------- PBX


def _check_groups(value: str) -> str:
    if not value:
        return value
    for part in value.split(","):
        bounds = part.split("-")
        if len(bounds) > 2 or not all(b.isascii() and b.isdigit() for b in bounds):
            fail(f"must be numbers 0..63 or ranges such as '1,3-5' (got {describe(value)})")
        numbers = [int(b) for b in bounds]
        if any(n > 63 for n in numbers) or numbers != sorted(numbers):
            fail(f"must be numbers 0..63 or ranges such as '1,3-5' (got {describe(value)})")
    return value


def _check_pbx_host(value: str) -> str:
    return value if value == "dynamic" else check_ip_address(value)


GroupList = Annotated[str, Strict(), AfterValidator(_check_groups)]


class PbxSettings(Section):
    """Asterisk-side peer settings exported by the server. The client does not use them."""

    context: Annotated[
        Str, _pattern(r"[A-Za-z0-9_\-]{1,79}", "must be letters, digits, '_' or '-'")
    ] = Field(default=DEFAULT_PBX_CONTEXT, description="Dialplan context for calls.")
    call_group: GroupList = Field(default="", description="Call groups, e.g. '1,3-5'.")
    pickup_group: GroupList = Field(default="", description="Pickup groups, e.g. '1,3-5'.")
    peer_type: Annotated[PeerType, lower_case] = Field(
        default=PeerType.FRIEND, description="Asterisk peer type: user, peer or friend."
    )
    host: Annotated[Str, AfterValidator(_check_pbx_host)] = Field(
        default="dynamic", description="'dynamic' (registers) or the fixed IP address."
    )
    nat: Annotated[NatMode, lower_case] = Field(
        default=NatMode.FORCE_RPORT,
        description="Asterisk nat= mode. Default force_rport: the client always sends rport "
        "and keep-alives, so replying to the source port is enough and safe.",
    )
    chanspy_allowed: Bool = Field(
        default=False, description="Supervisors may listen in (ChanSpy) on this agent."
    )
    video_allowed: Bool = Field(default=False, description="Allow video calls.")
    permission_level: Annotated[Int, between(0, 100)] = Field(
        default=10, description="Dialling permission level, 0..100."
    )
