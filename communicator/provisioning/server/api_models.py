"""Request and response bodies of the HTTP API (pydantic v2)."""

from __future__ import annotations

import datetime as dt
import math
import uuid
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints
from pydantic.config import JsonDict

from communicator.provisioning.agent_status import AgentStatus
from communicator.provisioning.schema.call_center import check_screen_pop_template

DbId = Annotated[int, Field(ge=1, le=2_147_483_647)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Text200 = Annotated[str, StringConstraints(max_length=200)]
Host = Annotated[str, StringConstraints(strip_whitespace=True, max_length=255)]
Port = Annotated[int, Field(ge=1, le=65535)]
TlsPort = Annotated[
    int,
    Field(
        ge=0,
        le=65535,
        description="Port for the tls transport; 0: automatic (5061 when the plain port is "
        "5060, else the plain port).",
    ),
]
Extension = Annotated[int, Field(ge=0, le=99_999_999)]
Transport = Literal["udp", "tcp", "tls"]
Codec = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9.\-]{1,32}$")]
WrapUpExtension = Annotated[
    int,
    Field(ge=0, le=86400, description="Seconds one 'extend' adds to wrap-up; 0: cannot extend."),
]
NoAnswer = Annotated[
    int,
    Field(
        ge=0,
        le=3600,
        description="Ringing this long unanswered makes the agent 'Not ready - no answer'; 0: off.",
    ),
]
CallsWhileNotReady = Annotated[
    bool,
    Field(description="Direct calls ring while not ready or in wrap-up (else answered 486)."),
]


def _screen_pop_url(value: str) -> str:
    """An http(s) template with known placeholders (the client checks it again); empty: none."""
    return check_screen_pop_template(value) if value else value


ScreenPopUrl = Annotated[
    str,
    StringConstraints(max_length=2048),
    AfterValidator(_screen_pop_url),
    Field(description="http(s) URL template opened for calls, e.g. https://crm/?p={number}."),
]
ScreenPopOn = Annotated[
    Literal["ringing", "answered"],
    Field(description="When the screen pop opens: ringing or answered."),
]
GroupList = Annotated[
    str, StringConstraints(pattern=r"^([0-9]{1,2}(-[0-9]{1,2})?(,[0-9]{1,2}(-[0-9]{1,2})?)*)?$")
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorBody(BaseModel):
    error: str = Field(description="Machine-readable error code.")
    message: str = Field(description="What is wrong, for people.")
    problems: list[dict[str, Any]] = Field(default_factory=list)


# ----------------------------------------------------------------------------------- sessions


class SignInRequest(Strict):
    login: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    password: Annotated[str, StringConstraints(min_length=1, max_length=1024)] = Field(repr=False)


class SignInResponse(BaseModel):
    token: str = Field(description="Send as 'Authorization: Bearer <token>'.")
    token_type: Literal["Bearer"] = "Bearer"
    expires_at: dt.datetime
    agent: AgentPublic
    extension: str = Field(description="Extension of the VoIP account of this session.")
    pooled: bool = Field(description="True when the account was lent from the pool.")
    delivery_token: str = Field(
        description="Bearer token accepted only by POST /call-logs and PUT .../recording; "
        "stays valid after sign-out so the session's logs can be delivered later."
    )
    delivery_expires_at: dt.datetime
    phones: list[DeskPhone] | None = Field(
        default=None,
        description="Hot desk: the free desk phones the agent may choose for this session "
        "with PUT /api/v1/sessions/current/phone (besides this computer, the default); null "
        "when the agent is not a hot-desk agent.",
    )


class DeskPhone(BaseModel):
    """A desk phone a hot-desk agent may choose: an account that is never lent."""

    id: int = Field(description="The desk phone's account id (send it to PUT /session/phone).")
    name: str
    extension: str
    static_ip: str | None = Field(description="The phone's IP address for static-IP phones.")


class PhoneChoice(Strict):
    phone_id: DbId | None = Field(description="A desk phone's id; null: this computer.")


class PhoneChoiceOut(BaseModel):
    phone: DeskPhone | None = Field(description="The desk phone chosen; null: this computer.")


class AgentPublic(BaseModel):
    id: int
    login: str
    display_name: str
    group: str | None


# ----------------------------------------------------------------------------------- call logs


def _utc_instant(value: dt.datetime) -> dt.datetime:
    """The instant in UTC; a time that leaves the calendar once converted (year 1 at +14:00,
    year 9999 at -14:00) is refused here instead of failing in the database."""
    try:
        return (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).astimezone(dt.UTC)
    except (OverflowError, ValueError) as exc:
        raise ValueError("is outside the calendar once converted to UTC") from exc


Instant = Annotated[dt.datetime, AfterValidator(_utc_instant)]
QUALITY_INT = 2**63 - 1


def _quality(value: dict[str, float | int | str | None]) -> dict[str, float | int | str | None]:
    for key, item in value.items():
        if isinstance(item, float) and not math.isfinite(item):
            raise ValueError(f"{key!r} must be a finite number (not NaN or infinity)")
        if isinstance(item, int) and not -QUALITY_INT <= item <= QUALITY_INT:
            raise ValueError(f"{key!r} is a number out of range")
    return value


QualityKey = Annotated[str, StringConstraints(min_length=1, max_length=64)]
QualityValue = float | int | Annotated[str, StringConstraints(max_length=200)] | None


class CallLogIn(Strict):
    id: uuid.UUID
    line: Annotated[int, Field(ge=0, le=64)] = 1
    direction: Literal["inbound", "outbound"]
    remote: Annotated[str, StringConstraints(min_length=1, max_length=255)]
    started_at: Instant
    answered_at: Instant | None = None
    ended_at: Instant | None = None
    duration_s: Annotated[float, Field(ge=0, le=10 * 86400, allow_inf_nan=False)] = 0.0
    end_reason: Annotated[str, StringConstraints(max_length=100)] = ""
    sip_code: Annotated[int, Field(ge=100, le=699)] | None = None
    quality: (
        Annotated[dict[QualityKey, QualityValue], Field(max_length=64), AfterValidator(_quality)]
        | None
    ) = None
    group: Annotated[str, StringConstraints(max_length=100)] | None = Field(
        None,
        description="The group the call was routed through (the proxy's X-Communicator-Group); "
        "when it names an existing group the log counts for that group, else for the agent's.",
    )


LogStatus = Literal["accepted", "duplicate", "refused"]
RefusalCode = Literal["invalid", "conflict", "unstorable"]


class Rejected(BaseModel):
    index: int
    id: str | None
    error: str
    code: RefusalCode = "invalid"


class CallLogResult(BaseModel):
    """The answer for one log of a batch, in the order they were posted."""

    index: int
    id: str | None = Field(description="The log's id as posted (None when it had none).")
    status: LogStatus = Field(
        description="accepted: stored now; duplicate: already stored for this agent (both are "
        "safe to drop locally); refused: never stored, posting it again gives the same answer."
    )
    code: RefusalCode | None = Field(
        None,
        description="Why a log was refused: invalid (a field is wrong), conflict (the id "
        "belongs to another agent's log), unstorable (the database refused a value).",
    )
    reason: str | None = Field(None, description="The refusal in words, naming the field.")


class CallLogBatchResult(BaseModel):
    accepted: list[str] = Field(description="Ids stored now or before (safe to drop locally).")
    duplicates: list[str] = Field(description="The accepted ids that were already stored.")
    rejected: list[Rejected]
    results: list[CallLogResult] = Field(description="One result per posted log, in order.")


class RecordingResult(BaseModel):
    id: str
    size: int
    sha256: str
    stored: bool = Field(description="False when the same recording was already stored.")


# ------------------------------------------------------------------------------------- admin


class NotReadyReason(Strict):
    code: Annotated[str, StringConstraints(pattern=r"^\S{1,32}$")]
    label: Annotated[str, StringConstraints(min_length=1, max_length=64)]


CallOrderName = Literal[
    "simultaneous", "in_order", "round_robin", "longest_idle", "random", "least_busy"
]
# A number the overflow forwards to: an extension, a SIP user name or a phone number.
OverflowNumber = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9+*#._\-]{0,40}$")]


AGENTS_CHOICE: JsonDict = {"null_choice": "Agent's choice"}
"""A field whose null is a choice of its own (the console offers it by these words)."""


class DesktopFields(Strict):
    """Desktop settings fixed for the group's members (the profile's ``desktop`` section);
    null = the agent's choice. Fields left out of a change keep their value."""

    close_to_tray: bool | None = Field(
        default=None,
        description="Closing the main window hides it in the tray; null = the agent's choice.",
        json_schema_extra=AGENTS_CHOICE,
    )
    start_at_login: bool | None = Field(
        default=None,
        description="Communicator starts when the agent logs in to the computer; "
        "null = the agent's choice.",
        json_schema_extra=AGENTS_CHOICE,
    )
    links: Literal["dial", "fill"] | None = Field(
        default=None,
        description="What a call link does: dial at once, or fill in the number field; "
        "null = the agent's choice.",
        json_schema_extra=AGENTS_CHOICE,
    )
    sip_trace: bool | None = Field(
        default=None,
        description="SIP messages are logged for support (never passwords); "
        "null = the agent's choice.",
        json_schema_extra=AGENTS_CHOICE,
    )


class GroupFields(Strict):
    name: Name | None = None
    extension: Extension | None = Field(
        default=None,
        description="Dialing it rings the group's members who can take the call, in the call "
        "order.",
    )
    email: Annotated[str, StringConstraints(max_length=254)] | None = None
    call_order: CallOrderName | None = Field(
        default=None,
        description="How a call to the group's extension rings the members who can take it: "
        "simultaneous (all at once), in_order (one at a time by their place in the member "
        "list, each for ring_time_s), round_robin (one at a time, each call starting with the "
        "next member), longest_idle (one at a time, the one idle longest first), random (one "
        "at a time, in a random order); least_busy is longest_idle.",
    )
    ring_time_s: Annotated[int, Field(ge=5, le=600)] | None = Field(
        default=None,
        description="How long each member rings before the next one (one-at-a-time orders) "
        "or before the overflow (all at once).",
    )
    call_waiting: bool | None = Field(
        default=None, description="Also ring members who are on a call (call waiting)."
    )
    overflow_number: OverflowNumber | None = Field(
        default=None,
        description="When nobody can take the call: forward it to this number (an extension "
        "or SIP user); empty: the overflow group, else the caller hears 480.",
    )
    overflow_group_id: DbId | None = Field(
        default=None,
        description="When nobody can take the call and there is no overflow number: ring "
        "this group instead (null: none).",
    )
    average_call_duration_s: Annotated[int, Field(ge=0, le=86400)] | None = None
    max_queue_size: Annotated[int, Field(ge=0, le=100000)] | None = None
    not_ready_reasons: list[NotReadyReason] | None = None
    wrap_up_s: Annotated[int, Field(ge=0, le=86400)] | None = None
    wrap_up_extension_s: WrapUpExtension | None = None
    no_answer_s: NoAnswer | None = None
    calls_while_not_ready: CallsWhileNotReady | None = None
    screen_pop_url: ScreenPopUrl | None = None
    screen_pop_on: ScreenPopOn | None = None
    allow_offline_start: bool | None = None
    desktop: DesktopFields | None = Field(
        default=None,
        description="Settings of the members' desktop client that the admin fixes over their "
        "own; a field left to the agent's choice (null) is each agent's own setting.",
    )
    members: Annotated[list[DbId], Field(max_length=10000)] | None = Field(
        default=None,
        description="Agent ids; replaces the membership; their order is the in_order call order.",
    )


class GroupCreate(GroupFields):
    name: Name


class GroupOut(BaseModel):
    id: int
    name: str
    extension: int | None
    email: str
    call_order: str
    ring_time_s: int = 20
    call_waiting: bool = False
    overflow_number: str = ""
    overflow_group_id: int | None = None
    average_call_duration_s: int
    max_queue_size: int
    not_ready_reasons: list[dict[str, str]]
    wrap_up_s: int
    wrap_up_extension_s: int
    no_answer_s: int
    calls_while_not_ready: bool
    screen_pop_url: str
    screen_pop_on: str
    allow_offline_start: bool
    desktop: DesktopFields = Field(default_factory=DesktopFields)
    members: list[int]


class AgentFields(Strict):
    login: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._@\-]{1,100}$")] | None = None
    display_name: Text200 | None = None
    email: Annotated[str, StringConstraints(max_length=254)] | None = None
    password: Annotated[str, StringConstraints(min_length=8, max_length=1024)] | None = Field(
        default=None, repr=False
    )
    group_id: DbId | None = None
    active: bool | None = None
    permission_level: Annotated[int, Field(ge=0, le=100)] | None = None
    not_ready_reasons: list[NotReadyReason] | None = Field(
        default=None, description="Own reasons; null = the group's."
    )
    wrap_up_s: Annotated[int, Field(ge=0, le=86400)] | None = Field(
        default=None, description="Own wrap-up seconds; null = the group's."
    )
    wrap_up_extension_s: WrapUpExtension | None = Field(
        default=None, description="Own wrap-up extension seconds; null = the group's."
    )
    no_answer_s: NoAnswer | None = Field(
        default=None, description="Own no-answer seconds; null = the group's."
    )
    calls_while_not_ready: CallsWhileNotReady | None = Field(
        default=None, description="Own choice; null = the group's."
    )
    screen_pop_url: ScreenPopUrl | None = Field(
        default=None, description="Own screen-pop URL; null = the group's, empty = none."
    )
    screen_pop_on: ScreenPopOn | None = Field(
        default=None, description="Own screen-pop moment; null = the group's."
    )
    hot_desk: bool | None = Field(
        default=None,
        description="Hot desk: at sign-in the agent picks this computer or a free "
        "desk phone (an account not lent by the pool and without an agent).",
    )


class AgentCreate(AgentFields):
    login: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._@\-]{1,100}$")]
    password: Annotated[str, StringConstraints(min_length=8, max_length=1024)] = Field(repr=False)


class AgentOut(BaseModel):
    id: int
    login: str
    display_name: str
    email: str
    group_id: int | None
    group: str | None
    active: bool
    permission_level: int
    not_ready_reasons: list[dict[str, str]] | None
    wrap_up_s: int | None
    effective_not_ready_reasons: list[dict[str, str]]
    effective_wrap_up_s: int
    wrap_up_extension_s: int | None
    no_answer_s: int | None
    calls_while_not_ready: bool | None
    effective_wrap_up_extension_s: int
    effective_no_answer_s: int
    effective_calls_while_not_ready: bool
    screen_pop_url: str | None = None
    screen_pop_on: str | None = None
    effective_screen_pop_url: str = ""
    effective_screen_pop_on: str = "ringing"
    hot_desk: bool = False
    account_id: int | None
    extension: int | None
    status: AgentStatus | None = Field(
        default=None, description="The state and registration last reported; null: never."
    )


class AgentStatusEntry(BaseModel):
    """One line of the admin's agent-status board."""

    agent_id: int
    login: str
    display_name: str
    group: str | None
    status: AgentStatus | None = Field(description="null: the agent's client never reported.")


class AccountFields(Strict):
    agent_id: DbId | None = None
    extension: Extension | None = None
    active: bool | None = None
    country_code: Annotated[str, StringConstraints(pattern=r"^[0-9]{0,3}$")] | None = None
    phone_number: Annotated[str, StringConstraints(pattern=r"^(\+?[0-9 ()\-]{1,32})?$")] | None = (
        None
    )
    max_lines: Annotated[int, Field(ge=1, le=12)] | None = None
    min_call_log_s: Annotated[int, Field(ge=0, le=86400)] | None = None
    sip_username: Annotated[str, StringConstraints(pattern=r"^[^\s:]{1,128}$")] | None = None
    sip_password: Annotated[str, StringConstraints(min_length=1, max_length=256)] | None = Field(
        default=None, repr=False
    )
    auth_name: Annotated[str, StringConstraints(pattern=r"^[^\s:]{0,128}$")] | None = None
    sip_server: (
        Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9.\-:\[\]]{1,255}$")] | None
    ) = None
    sip_port: Port | None = None
    sip_domain: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9.\-]{0,255}$")] | None = None
    outbound_proxy: (
        Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9.\-:\[\]]{0,255}$")] | None
    ) = None
    outbound_proxy_port: Port | None = None
    sip_tls_port: TlsPort | None = None
    outbound_proxy_tls_port: TlsPort | None = None
    transports: Annotated[list[Transport], Field(min_length=1, max_length=3)] | None = None
    use_sdp: bool | None = None
    caller_id: Annotated[str, StringConstraints(pattern=r'^[^"\\\x00-\x1f]{0,128}$')] | None = None
    equipment_type: Literal["sip_id", "static_ip"] | None = None
    workstation_ip: Annotated[str, StringConstraints(max_length=64)] | None = None
    static_protocol: Literal["udp", "tcp"] | None = None
    rport: bool | None = None
    keepalive_s: Annotated[int, Field(ge=0, le=3600)] | None = None
    stun_server: (
        Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9.\-:\[\]]{0,255}$")] | None
    ) = None
    stun_port: Port | None = None
    register_expiry_s: Annotated[int, Field(ge=2, le=86400)] | None = None
    register_refresh_s: Annotated[int, Field(ge=1, le=86399)] | None = None
    codecs: Annotated[list[Codec], Field(min_length=1, max_length=16)] | None = None
    dtmf: Literal["rfc4733", "sip_info"] | None = None
    srtp: Literal["disabled", "optional", "mandatory"] | None = None
    record_calls: bool | None = None
    record_format: Literal["wav", "wav49", "gsm"] | None = None
    context: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_\-]{1,79}$")] | None = None
    call_group: GroupList | None = None
    pickup_group: GroupList | None = None
    peer_type: Literal["user", "peer", "friend"] | None = None
    pbx_host: (
        Annotated[str, StringConstraints(pattern=r"^(dynamic|[0-9a-fA-F.:]{2,64})$")] | None
    ) = None
    pbx_nat: Literal["yes", "no", "force_rport", "comedia", "never", "route"] | None = None
    chanspy: bool | None = None
    video: bool | None = None
    forwarding: dict[str, Any] | None = None
    pool: bool | None = Field(
        default=None,
        description="Lent to agents without a fixed account while it has no agent (SIP-ID "
        "accounts only; default true). False for desk phones that must not be lent.",
    )


class AccountCreate(AccountFields):
    sip_username: Annotated[str, StringConstraints(pattern=r"^[^\s:]{1,128}$")]
    sip_password: Annotated[str, StringConstraints(min_length=1, max_length=256)] = Field(
        repr=False
    )
    sip_server: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9.\-:\[\]]{1,255}$")]


class AccountRow(BaseModel):
    """One line of the accounts list (seed 000 columns: agent, group, phone number)."""

    id: int
    agent: str | None
    agent_id: int | None
    group: str | None
    phone_number: str
    extension: int
    sip_username: str
    active: bool
    pool: bool = Field(description="Lent from the pool now that it has no agent.")
    in_use_by: str | None


class IdList(Strict):
    ids: Annotated[list[DbId], Field(min_length=1, max_length=10000)]


class BulkDeleteResult(BaseModel):
    deleted: list[int]
    missing: list[int]


class ImportResult(BaseModel):
    created: int
    updated: int


class ReportRow(BaseModel):
    id: str
    agent: str | None
    agent_login: str | None
    group: str | None
    extension: int | None
    line: int
    direction: str
    remote: str
    started_at: dt.datetime
    answered_at: dt.datetime | None
    ended_at: dt.datetime | None
    duration_s: float
    end_reason: str
    sip_code: int | None
    quality: dict[str, Any] | None
    recording_url: str | None


class Report(BaseModel):
    total: int
    rows: list[ReportRow]


class DirectoryAgent(BaseModel):
    """An agent as other agents see it: no login name."""

    display_name: str
    group: str | None
    extension: int | None


class DirectoryGroup(BaseModel):
    name: str
    extension: int | None


class Directory(BaseModel):
    agents: list[DirectoryAgent]
    groups: list[DirectoryGroup]


SignInResponse.model_rebuild()
