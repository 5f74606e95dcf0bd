"""Enumerations used by the profile schema. Values are the strings used in the JSON document."""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "DtmfMethod",
    "EquipmentType",
    "ForwardingKind",
    "NatMode",
    "PeerType",
    "RecordFormat",
    "ScreenPopMoment",
    "SrtpMode",
    "StaticIpProtocol",
    "Transport",
    "Weekday",
]


class EquipmentType(StrEnum):
    """How the PBX identifies the agent's phone."""

    SIP_ID = "sip_id"
    """The client registers with a user name and password."""
    STATIC_IP = "static_ip"
    """No registration: the PBX trusts the workstation's IP address."""


class StaticIpProtocol(StrEnum):
    """Signalling protocol used with static-IP equipment."""

    UDP = "udp"
    TCP = "tcp"


class Transport(StrEnum):
    """SIP transports this client supports (WebSocket transports are not supported)."""

    UDP = "udp"
    TCP = "tcp"
    TLS = "tls"


class DtmfMethod(StrEnum):
    """How key presses are sent during a call."""

    RFC4733 = "rfc4733"
    """Telephone-event RTP packets (RFC 4733, formerly RFC 2833)."""
    SIP_INFO = "sip_info"
    """SIP INFO requests."""


class SrtpMode(StrEnum):
    """Media encryption policy."""

    DISABLED = "disabled"
    OPTIONAL = "optional"
    MANDATORY = "mandatory"


class RecordFormat(StrEnum):
    """File format of call recordings."""

    WAV = "wav"
    WAV49 = "wav49"
    GSM = "gsm"


class PeerType(StrEnum):
    """Asterisk peer type exported to the PBX."""

    USER = "user"
    PEER = "peer"
    FRIEND = "friend"


class NatMode(StrEnum):
    """Asterisk ``nat=`` setting exported to the PBX."""

    YES = "yes"
    NO = "no"
    FORCE_RPORT = "force_rport"
    COMEDIA = "comedia"
    NEVER = "never"
    ROUTE = "route"


class Weekday(StrEnum):
    """Days of the week, in calendar order (Monday first, like ``datetime.weekday()``)."""

    MON = "mon"
    TUE = "tue"
    WED = "wed"
    THU = "thu"
    FRI = "fri"
    SAT = "sat"
    SUN = "sun"

    @property
    def number(self) -> int:
        """0 for Monday .. 6 for Sunday, matching :meth:`datetime.date.weekday`."""
        return _WEEKDAY_ORDER.index(self)

    @classmethod
    def from_number(cls, number: int) -> Weekday:
        """The weekday for ``datetime.date.weekday()`` value ``number`` (taken modulo 7)."""
        return _WEEKDAY_ORDER[number % 7]


_WEEKDAY_ORDER: tuple[Weekday, ...] = tuple(Weekday)


class ForwardingKind(StrEnum):
    """Which forwarding rule applies to an incoming call."""

    ALWAYS = "always"
    SCHEDULE = "schedule"
    BUSY = "busy"
    NO_ANSWER = "no_answer"


class ScreenPopMoment(StrEnum):
    """When the screen-pop URL opens in the agent's browser."""

    RINGING = "ringing"
    """As soon as a call rings the agent."""
    ANSWERED = "answered"
    """When the agent answers it."""
