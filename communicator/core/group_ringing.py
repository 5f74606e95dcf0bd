"""Which ringing group calls an agent gives back when leaving Ready.

The proxy rings a group's members that are Ready (docs/SIP-ROUTING.md); it reads the states
again only for the *next* member. A member whose phone is already ringing for a group call and
who then goes Not ready (any reason, including "Not ready - no answer") or signs out would
keep that call ringing for the group's whole ring time although nobody will answer it. The
client declines such calls at once with ``480 Temporarily Unavailable``: the in-order group
moves on to its next member, and in an all-at-once group the others keep ringing. A 6xx is
avoided on purpose (a 6xx ends every branch of the call). The history records the call as
declined (`EndReason.REJECTED`, code 480), not as missed.

Direct (non-group) calls are left alone: the agent may still answer a colleague.
"""

from __future__ import annotations

from collections.abc import Iterable

from communicator.core.agent_state import AVAILABLE_STATES, AgentState, AgentStateChanged
from communicator.core.calls import Call, CallId, CallState

TEMPORARILY_UNAVAILABLE = 480
"""The SIP code a ringing group call is declined with when its agent stops taking calls."""

NOT_TAKING_GROUP_CALLS = frozenset(
    {AgentState.NOT_READY, AgentState.NO_ANSWER, AgentState.SIGNED_OUT}
)
"""States the proxy skips a member in and that the agent can enter while a group call rings
(wrap-up only follows the end of the agent's own calls)."""


def group_calls_to_decline(
    change: AgentStateChanged, calls: Iterable[Call | None]
) -> tuple[CallId, ...]:
    """The ringing, unanswered group calls to decline because of this change of the agent's
    state: the agent left Ready (or a call, for a group call waiting) for Not ready or signed
    out. Nothing for any other change, and never a direct call."""
    if change.old.state not in AVAILABLE_STATES:
        return ()
    if change.new.state not in NOT_TAKING_GROUP_CALLS:
        return ()
    return tuple(
        call.call_id
        for call in calls
        if call is not None
        and call.group is not None
        and call.state is CallState.RINGING_IN
        and call.answered_at is None
    )
