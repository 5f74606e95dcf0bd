"""Carry out `core.group_ringing` on an agent-state change: the ringing group calls of an agent
who left Ready are declined with 480 through the engine's reject operation (see that module
for why). Runs on the Qt loop, where the session gives its commands."""

from __future__ import annotations

import contextlib
import logging
from typing import TYPE_CHECKING

from communicator.core.agent_state import AgentStateChanged
from communicator.core.errors import InvalidOperationError
from communicator.core.group_ringing import TEMPORARILY_UNAVAILABLE, group_calls_to_decline

if TYPE_CHECKING:
    from communicator.sip.engine import SipEngine

log = logging.getLogger(__name__)


def decline_group_calls(engine: SipEngine, change: AgentStateChanged) -> None:
    """Decline each group call ringing the agent that this change makes the agent unable to
    take; direct calls keep ringing."""
    for call_id in group_calls_to_decline(change, engine.state.lines):
        log.info("declining group call %s: the agent is %s", call_id, change.new.state.value)
        with contextlib.suppress(InvalidOperationError):  # ended meanwhile: nothing to decline
            engine.reject(call_id, sip_code=TEMPORARILY_UNAVAILABLE)
