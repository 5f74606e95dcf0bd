from __future__ import annotations

import pytest

from communicator.core.call_effects import (
    Answer,
    Notice,
    Redirect,
    Reject,
    SendRinging,
    StartNoAnswerTimer,
)
from communicator.core.calls import CallState, EndReason
from communicator.core.forwarding_decision import ForwardingDecision, NoAnswerForward
from tests.core.helpers import CALLER, call_id_of, call_in_state, make_lines, records

MOBILE = "sip:+447700900123@pbx.example.com"


def test_immediate_forwarding_redirects_without_taking_a_line() -> None:
    lines = make_lines()
    outcome = lines.incoming_call(CALLER, 5.0, ForwardingDecision(immediate="07700 900123"))
    call_id = call_id_of(outcome)
    assert outcome.effects[0] == Redirect(call_id, MOBILE, 302)
    (record,) = records(outcome)
    assert (record.end_reason, record.sip_code, record.forwarded_to) == (
        EndReason.FORWARDED,
        302,
        MOBILE,
    )
    assert not record.missed
    assert record.line is None
    assert lines.calls == {}


def test_busy_forwarding_redirects_instead_of_486() -> None:
    lines = make_lines(1)
    call_in_state(lines, CallState.CONNECTED)
    decision = ForwardingDecision(when_busy="2999")
    outcome = lines.incoming_call(CALLER, 5.0, decision)
    assert outcome.effects[0] == Redirect(call_id_of(outcome), "sip:2999@pbx.example.com")
    assert not any(isinstance(e, Reject) for e in outcome.effects)
    assert len(lines.calls) == 1


def test_busy_forwarding_does_not_apply_while_a_line_is_free() -> None:
    lines = make_lines(2)
    call_in_state(lines, CallState.CONNECTED)
    outcome = lines.incoming_call(CALLER, 5.0, ForwardingDecision(when_busy="2999"))
    assert outcome.effects == (SendRinging(call_id_of(outcome)),)


def test_no_answer_forwarding_fires_only_while_still_ringing() -> None:
    lines = make_lines()
    decision = ForwardingDecision(on_no_answer=NoAnswerForward("2999", after_seconds=20))
    outcome = lines.incoming_call(CALLER, 100.0, decision)
    call_id = call_id_of(outcome)
    assert outcome.effects == (SendRinging(call_id), StartNoAnswerTimer(call_id, 120.0))
    fired = lines.no_answer_timeout(call_id, 120.0)
    assert fired.effects[0] == Redirect(call_id, "sip:2999@pbx.example.com")
    (record,) = records(fired)
    assert record.end_reason is EndReason.FORWARDED
    assert record.duration == 20.0
    assert record.line == 1
    assert lines.calls == {}
    assert lines.no_answer_timeout(call_id, 121.0).effects == ()


def test_no_answer_timer_after_answer_does_nothing() -> None:
    lines = make_lines()
    decision = ForwardingDecision(on_no_answer=NoAnswerForward("2999", after_seconds=20))
    call_id = call_id_of(lines.incoming_call(CALLER, 100.0, decision))
    assert lines.answer(call_id, 110.0).effects == (Answer(call_id),)
    assert lines.no_answer_timeout(call_id, 120.0).effects == ()
    assert lines.call(call_id).state is CallState.CONNECTED


def test_no_answer_timeout_without_forwarding_does_nothing() -> None:
    lines = make_lines()
    call_id = call_in_state(lines, CallState.RINGING_IN)
    assert lines.no_answer_timeout(call_id, 60.0).effects == ()


def test_an_unusable_forwarding_target_is_skipped_with_a_notice() -> None:
    lines = make_lines()
    outcome = lines.incoming_call(CALLER, 5.0, ForwardingDecision(immediate="not a number!"))
    assert isinstance(outcome.effects[0], Notice)
    assert outcome.effects[1] == SendRinging(call_id_of(outcome))
    assert len(lines.calls) == 1


def test_negative_no_answer_delay_is_refused() -> None:
    with pytest.raises(ValueError):
        NoAnswerForward("2999", after_seconds=-1)


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("always", ForwardingDecision(immediate="2999")),
        ("schedule", ForwardingDecision(immediate="2999")),
        ("busy", ForwardingDecision(when_busy="2999")),
        ("no_answer", ForwardingDecision(on_no_answer=NoAnswerForward("2999", 15))),
    ],
)
def test_decision_from_the_profile_rule(kind: str, expected: ForwardingDecision) -> None:
    assert ForwardingDecision.from_rule(kind, "2999", 15) == expected


def test_unknown_rule_kind_is_refused() -> None:
    with pytest.raises(ValueError):
        ForwardingDecision.from_rule("sometimes", "2999")


def test_forwarding_rules_are_asked_whether_the_lines_are_busy() -> None:
    lines = make_lines(1)
    asked: list[bool] = []

    def rules(busy: bool) -> ForwardingDecision:
        asked.append(busy)
        return ForwardingDecision(when_busy="2999") if busy else ForwardingDecision()

    first = lines.incoming_call(CALLER, 1.0, rules)
    assert first.effects == (SendRinging(call_id_of(first)),)
    second = lines.incoming_call(CALLER, 2.0, rules)
    assert second.effects[0] == Redirect(call_id_of(second), "sip:2999@pbx.example.com")
    assert asked == [False, True]
