"""A hold or resume that did not happen (`HoldFailed`): the call goes back to what it really is,
never leaving two calls active, and the agent gets a notice."""

from __future__ import annotations

from communicator.core.call_effects import Notice
from communicator.core.call_events import HoldFailed
from communicator.core.calls import CallState
from tests.core.helpers import call_in_state, make_lines


def notices(effects: tuple[object, ...]) -> list[str]:
    return [e.text for e in effects if isinstance(e, Notice)]


def test_a_refused_hold_leaves_the_call_connected() -> None:
    lines = make_lines()
    call_id = call_in_state(lines, CallState.CONNECTED)
    lines.hold(call_id)
    outcome = lines.handle(HoldFailed(call_id, hold=True, sip_code=488), 1.0)
    assert lines.call(call_id).state is CallState.CONNECTED
    assert notices(outcome.effects) == [
        "The call on line 1 could not be put on hold (488): it is still connected"
    ]


def test_a_refused_resume_leaves_the_call_held() -> None:
    lines = make_lines()
    call_id = call_in_state(lines, CallState.HELD)
    lines.resume(call_id)
    outcome = lines.handle(HoldFailed(call_id, hold=False, sip_code=488), 1.0)
    assert lines.call(call_id).state is CallState.HELD
    assert notices(outcome.effects) == [
        "The call on line 1 could not be resumed (488): it is still on hold"
    ]


def test_a_refused_hold_never_makes_two_calls_active() -> None:
    """Swap: line 1's hold is refused while line 2 was resumed: line 1 stays held here."""
    lines = make_lines()
    first = call_in_state(lines, CallState.HELD)
    second = call_in_state(lines, CallState.CONNECTED)
    lines.swap()  # holds the second, resumes the first
    outcome = lines.handle(HoldFailed(second, hold=True, sip_code=None), 1.0)
    assert lines.call(second).state is CallState.HELD
    assert lines.call(first).state is CallState.CONNECTED
    (text,) = notices(outcome.effects)
    assert "could not be put on hold" in text and "hears silence" in text


def test_a_stale_failure_changes_nothing() -> None:
    """The agent resumed while the hold was on its way: the hold's refusal undoes nothing."""
    lines = make_lines()
    call_id = call_in_state(lines, CallState.CONNECTED)
    lines.hold(call_id)
    lines.resume(call_id)
    outcome = lines.handle(HoldFailed(call_id, hold=True, sip_code=488), 1.0)
    assert lines.call(call_id).state is CallState.CONNECTED
    assert outcome.effects == ()
    lines.hold(call_id)
    assert lines.handle(HoldFailed(call_id, hold=False, sip_code=488), 1.0).effects == ()
    assert lines.call(call_id).state is CallState.HELD
