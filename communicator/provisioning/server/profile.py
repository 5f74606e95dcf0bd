"""Builds an agent's VoIP profile document from its account, agent and group rows."""

from __future__ import annotations

import hashlib
from typing import Any

from pydantic import ValidationError

from communicator.provisioning.schema import (
    DESKTOP_FIELDS,
    ProfileError,
    VoipProfile,
    parse_profile,
)

from .errors import Invalid
from .models import Agent, Group, VoipAccount

CALL_CENTER_DEFAULTS: dict[str, Any] = {
    "not_ready_reasons": [],
    "wrap_up_s": 0,
    "wrap_up_extension_s": 30,
    "no_answer_s": 20,
    "calls_while_not_ready": False,
    "screen_pop_url": "",
    "screen_pop_on": "ringing",
}
"""Call-center values of an agent without a group (the schema's defaults)."""


def desktop_of(group: Group | None) -> dict[str, Any]:
    """The desktop settings fixed for a group's members (its ``desktop_*`` columns) by the
    profile's names; None: the agent's choice (no group: nothing fixed)."""
    return {k: getattr(group, f"desktop_{k}", None) for k in DESKTOP_FIELDS}


def effective(agent: Agent | None, group: Group | None, name: str) -> Any:
    """An agent's own call-center value, else its group's, else the default."""
    own = getattr(agent, name) if agent is not None else None
    if own is not None:
        return own
    return getattr(group, name) if group is not None else CALL_CENTER_DEFAULTS[name]


def profile_document(
    account: VoipAccount,
    agent: Agent | None,
    group: Group | None,
    sip_password: str | None,
    desk_phone: str | None = None,
) -> dict[str, Any]:
    """The profile as the shared schema's JSON (plain data, secrets included when given);
    ``desk_phone`` names the hot-desk phone the agent's session chose."""
    stamps = [account.updated_at] + [x.updated_at for x in (agent, group) if x is not None]
    revision = int(max(stamps).timestamp() * 1000)
    return {
        "schema_version": 1,
        "revision": revision,
        "agent": {
            "display_name": agent.display_name if agent is not None else "",
            "login": agent.login if agent is not None else account.sip_username,
            "group": group.name if group is not None else "",
            "country_code": account.country_code,
            "phone_number": account.phone_number,
            "extension": str(account.extension),
            "max_lines": account.max_lines,
            "min_call_log_seconds": account.min_call_log_s,
        },
        "sip": {
            "username": account.sip_username,
            "password": sip_password,
            "auth_name": account.auth_name,
            "server": account.sip_server,
            "port": account.sip_port,
            "domain": account.sip_domain,
            "outbound_proxy": account.outbound_proxy or None,
            "outbound_proxy_port": account.outbound_proxy_port,
            "tls_port": account.sip_tls_port or None,
            "outbound_proxy_tls_port": account.outbound_proxy_tls_port or None,
            "transports": list(account.transports),
            "use_sdp": account.use_sdp,
            "caller_id": account.caller_id or None,
        },
        "equipment": {
            "type": account.equipment_type,
            "workstation_ip": account.workstation_ip or None,
            "protocol": account.static_protocol,
        },
        "nat": {
            "rport": account.rport,
            "keepalive_seconds": account.keepalive_s,
            "stun_server": account.stun_server or None,
            "stun_port": account.stun_port,
        },
        "registration": {
            "expiry_seconds": account.register_expiry_s,
            "refresh_seconds": account.register_refresh_s,
        },
        "media": {"codecs": list(account.codecs), "dtmf": account.dtmf, "srtp": account.srtp},
        "recording": {"enabled": account.record_calls, "format": account.record_format},
        "pbx": {
            "context": account.context,
            "call_group": account.call_group,
            "pickup_group": account.pickup_group,
            "peer_type": account.peer_type,
            "host": account.pbx_host,
            "nat": account.pbx_nat,
            "chanspy_allowed": account.chanspy,
            "video_allowed": account.video,
            "permission_level": agent.permission_level if agent is not None else 10,
        },
        "call_center": {
            "not_ready_reasons": list(effective(agent, group, "not_ready_reasons")),
            "wrap_up_seconds": effective(agent, group, "wrap_up_s"),
            "wrap_up_extension_seconds": effective(agent, group, "wrap_up_extension_s"),
            "no_answer_seconds": effective(agent, group, "no_answer_s"),
            "calls_while_not_ready": effective(agent, group, "calls_while_not_ready"),
            "screen_pop_url": effective(agent, group, "screen_pop_url") or None,
            "screen_pop_on": effective(agent, group, "screen_pop_on"),
            "allow_offline_start": group.allow_offline_start if group is not None else False,
            "desk_phone": desk_phone,
        },
        "forwarding": dict(account.forwarding or {}),
        "desktop": desktop_of(group),
    }


def render(document: dict[str, Any]) -> tuple[bytes, str]:
    """(JSON body with secrets, etag) for a profile document, validated by the shared schema.

    The body is the schema's canonical JSON; the etag is its SHA-256 (``VoipProfile.etag``).
    """
    try:
        profile = parse_profile(document)
    except ProfileError as exc:
        raise Invalid(f"the resulting VoIP profile is invalid: {exc}") from None
    return _body_and_etag(profile)


def render_stored(document: dict[str, Any]) -> tuple[bytes, str]:
    """:func:`render` for a document built from stored rows, which every write validated
    with :func:`validate` (the schema's JSON checks included): the document is plain JSON
    data and is validated as it is, without :func:`parse_profile`'s JSON round trip (half
    the validation's CPU; sign-in renders a profile every time). A document the schema
    refuses still goes through :func:`render`, for the schema's own words on what is wrong.
    """
    try:
        return _body_and_etag(VoipProfile.model_validate(document))
    except (ValidationError, ValueError, TypeError, RecursionError):
        return render(document)


def _body_and_etag(profile: VoipProfile) -> tuple[bytes, str]:
    data = bytes(profile.canonical_json())
    return data, hashlib.sha256(data).hexdigest()


def validate(document: dict[str, Any]) -> None:
    render(document)
