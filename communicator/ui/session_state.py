"""The session model's state as one immutable value, and which of its fields changed.

`SessionModel` rebuilds a `SessionState` after every engine step, command and workstation event,
and emits one ``(old, new)`` signal per field that differs from what it last signalled: widgets
never poll, and every change, including the ones the engine makes without an event of its own
(a profile waiting for the calls to end, the codec report), reaches them.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from communicator.core.agent_state import AgentState, AgentStatus
from communicator.core.line_view import LineView
from communicator.core.registration import RegistrationState, RegistrationStatus
from communicator.provisioning.schema import CodecReport
from communicator.provisioning.schema.call_center import NotReadyReason
from communicator.workstation import SignedIn


@dataclass(frozen=True)
class AudioSetup:
    """The sound devices the agent can choose from and what is chosen (None: system default)."""

    microphones: tuple[str, ...] = ()
    speakers: tuple[str, ...] = ()
    microphone: str | None = None
    speaker: str | None = None
    ringer: str | None = None
    microphone_volume: float = 1.0
    speaker_volume: float = 1.0
    ringer_volume: float = 1.0


@dataclass(frozen=True)
class SessionState:
    signed_in: SignedIn | None
    signing_in: bool
    signing_out: bool
    registration: RegistrationStatus
    static_ip: bool
    lines: tuple[LineView, ...]
    can_place_call: bool
    agent: AgentStatus
    not_ready_reasons: tuple[NotReadyReason, ...]
    can_extend_wrap_up: bool
    forwarding: str | None
    pending_logs: int
    refused_logs: int
    """Call logs the server refused for good, set aside on this workstation for support
    (see the outbox); not part of ``pending_logs``."""
    missed_calls: int
    profile_pending: bool
    codec_report: CodecReport | None
    audio: AudioSetup

    @property
    def registered(self) -> bool:
        return self.static_ip or self.registration.state in (
            RegistrationState.REGISTERED,
            RegistrationState.REFRESHING,
        )

    @property
    def ready(self) -> bool:
        return self.agent.state is AgentState.READY


FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in fields(SessionState))
