"""VoIP profile schema, version 1: shared by the desktop client and the provisioning server.

Public API
----------
``parse_profile(data: bytes | str | Mapping[str, object]) -> VoipProfile``
    Validate a document. Raises :class:`ProfileError` only (``.field`` dotted path such as
    ``"sip.port"`` or ``""`` for the whole document, ``.problem``, ``.problems``).
``VoipProfile``
    Frozen pydantic model with sections ``agent``, ``sip``, ``equipment``, ``nat``,
    ``registration``, ``media``, ``recording``, ``call_center``, ``forwarding``, ``pbx`` and
    ``desktop`` (optional: the settings the admin fixed, null = the agent's choice).
    Unknown fields are kept (``section.unknown_fields``) and written back unchanged.

    - ``to_json(*, include_secrets=False, indent=None) -> str``,
      ``to_dict(*, include_secrets=False) -> dict``: the password is null unless asked for;
      with ``include_secrets=True`` ``parse_profile(p.to_json(include_secrets=True)) == p``.
    - ``etag -> str``: sha256 hex of the canonical JSON (sorted keys, secrets included).
    - ``has_secrets``, ``without_secrets()``, ``with_password(password)``.
    - ``sip_settings_differ(other) -> bool``: must the SIP account be re-registered?
    - ``codec_report(available: Iterable[str]) -> CodecReport``.
    - ``forwarding.decide(when: datetime, *, busy: bool) -> ForwardDecision | None``.
    - ``call_center.render_screen_pop(number=..., name=..., ...) -> str | None``.

Constants: ``SCHEMA_VERSION``, ``MAX_LINES_LIMIT``, ``CANONICAL_CODECS``, ``DEFAULT_CODECS``,
``SCREEN_POP_PLACEHOLDERS``, ``SIP_SECTIONS``.
"""

from .call_center import (
    SCREEN_POP_PLACEHOLDERS,
    CallCenterSettings,
    NotReadyReason,
    render_url_template,
)
from .codecs import (
    CANONICAL_CODECS,
    CODEC_ALIASES,
    DEFAULT_CODECS,
    CodecReport,
    build_codec_report,
    canonical_codec,
)
from .desktop import DESKTOP_FIELDS, DesktopSettings, LinkAction
from .enums import (
    DtmfMethod,
    EquipmentType,
    ForwardingKind,
    NatMode,
    PeerType,
    RecordFormat,
    ScreenPopMoment,
    SrtpMode,
    StaticIpProtocol,
    Transport,
    Weekday,
)
from .errors import Problem, ProfileError
from .forwarding import (
    AlwaysForwarding,
    BusyForwarding,
    ForwardDecision,
    ForwardingSettings,
    NoAnswerForwarding,
    ScheduleForwarding,
)
from .parsing import MAX_DOCUMENT_BYTES, parse_profile
from .profile import SCHEMA_VERSION, SIP_SECTIONS, VoipProfile
from .sections import (
    MAX_LINES_LIMIT,
    AgentSettings,
    Equipment,
    MediaSettings,
    NatSettings,
    PbxSettings,
    RecordingSettings,
    Registration,
    SipAccount,
    default_tls_port,
)

__all__ = [
    "CANONICAL_CODECS",
    "CODEC_ALIASES",
    "DEFAULT_CODECS",
    "DESKTOP_FIELDS",
    "MAX_DOCUMENT_BYTES",
    "MAX_LINES_LIMIT",
    "SCHEMA_VERSION",
    "SCREEN_POP_PLACEHOLDERS",
    "SIP_SECTIONS",
    "AgentSettings",
    "AlwaysForwarding",
    "BusyForwarding",
    "CallCenterSettings",
    "CodecReport",
    "DesktopSettings",
    "DtmfMethod",
    "Equipment",
    "EquipmentType",
    "ForwardDecision",
    "ForwardingKind",
    "ForwardingSettings",
    "LinkAction",
    "MediaSettings",
    "NatMode",
    "NatSettings",
    "NoAnswerForwarding",
    "NotReadyReason",
    "PbxSettings",
    "PeerType",
    "Problem",
    "ProfileError",
    "RecordFormat",
    "RecordingSettings",
    "Registration",
    "ScheduleForwarding",
    "ScreenPopMoment",
    "SipAccount",
    "SrtpMode",
    "StaticIpProtocol",
    "Transport",
    "VoipProfile",
    "Weekday",
    "build_codec_report",
    "canonical_codec",
    "default_tls_port",
    "parse_profile",
    "render_url_template",
]
