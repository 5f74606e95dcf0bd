"""The group of an incoming call (X-Communicator-Group) and the Reason of a CANCEL (RFC 3326):
what is read from the proxy's headers, and how a ringing call cancelled because another member
answered ends."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from communicator.core.call_events import CallDisconnected
from communicator.core.call_group import (
    MAX_GROUP_NAME,
    CallGroup,
    sip_cancel_cause,
)
from communicator.core.call_record import call_log_payload
from communicator.core.calls import CallId, CallState, EndReason
from communicator.core.lines import Lines
from tests.core.helpers import CALLER, call_id_of, make_lines, records


@pytest.mark.parametrize(
    ("value", "name"),
    [
        ("Support", "Support"),
        ("Ventes%20%C3%8Ele-de-France", "Ventes Île-de-France"),
        ("%E5%96%B6%E6%A5%AD", "営業"),
        ("  Support  ", "Support"),
        ("Sales%20", "Sales"),
        ("A%2fB", "A/B"),
        ("G" * MAX_GROUP_NAME, "G" * MAX_GROUP_NAME),
    ],
)
def test_a_clean_header_names_its_group(value: str, name: str) -> None:
    assert CallGroup.from_header(value) == CallGroup(name)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "%20",
        "%FF%FE",  # not UTF-8
        "%C3",  # a truncated UTF-8 sequence
        "Sales%0D%0AX-Evil:%201",  # control characters
        "Sales%00",
        "%E2%80%AESales",  # right-to-left override (format character)
        "Sales%E2%80%8B",  # zero-width space
        "Sales Team",  # a raw space: not percent-encoded
        "Sales<b>",
        "%zz",
        "%4",
        "G" * (MAX_GROUP_NAME + 1),
        "%41" * (MAX_GROUP_NAME + 1),
        "%41" * 100_000,
    ],
)
def test_an_unusable_header_is_ignored(value: str) -> None:
    assert CallGroup.from_header(value) is None


@given(st.text(max_size=400))
def test_no_header_value_raises_or_yields_an_unprintable_name(value: str) -> None:
    group = CallGroup.from_header(value)
    if group is not None:
        assert group.name.isprintable() and 0 < len(group.name) <= MAX_GROUP_NAME


def test_several_headers_must_agree() -> None:
    assert CallGroup.from_headers([]) is None
    assert CallGroup.from_headers(["Support", "Support"]) == CallGroup("Support")
    assert CallGroup.from_headers(["Support", "Sales"]) is None
    assert CallGroup.from_headers(["Support", "%FF"]) is None


def test_a_group_cannot_be_made_with_an_unusable_name() -> None:
    with pytest.raises(ValueError):
        CallGroup("Sales\n")


@pytest.mark.parametrize(
    ("values", "cause"),
    [
        (['SIP;cause=200;text="Call completed elsewhere"'], 200),
        (["sip ; cause = 200"], 200),
        (['Q.850;cause=16;text="Normal", SIP;cause=200;text="elsewhere"'], 200),
        (["Q.850;cause=16"], None),
        (['SIP;text="cause=200";cause=487'], 487),
        (['SIP;text="a, SIP;cause=200"'], None),
        ([], None),
        (["garbage"], None),
        (["SIP;cause=abc"], None),
    ],
)
def test_the_sip_cause_of_a_reason_header(values: list[str], cause: int | None) -> None:
    assert sip_cancel_cause(values) == cause


def ringing(lines: Lines, group: CallGroup | None = None) -> CallId:
    call_id = call_id_of(lines.incoming_call(CALLER, 10.0, group=group))
    assert lines.call(call_id).state is CallState.RINGING_IN
    return call_id


def test_a_call_cancelled_because_another_member_answered_is_not_missed() -> None:
    lines = make_lines()
    group = CallGroup("Support")
    call_id = ringing(lines, group)
    assert lines.call(call_id).group == group
    (record,) = records(
        lines.handle(CallDisconnected(call_id, 487, "Request Terminated", 200), 12.0)
    )
    assert record.end_reason is EndReason.ANSWERED_ELSEWHERE
    assert not record.missed and not record.answered
    assert record.group == group
    payload = call_log_payload(record)
    assert payload["group"] == "Support"
    assert payload["end_reason"] == "answered_elsewhere"


@pytest.mark.parametrize("cause", [None, 487, 600])
def test_other_cancels_are_missed_calls(cause: int | None) -> None:
    lines = make_lines()
    call_id = ringing(lines)
    (record,) = records(lines.handle(CallDisconnected(call_id, 487, "", cause), 12.0))
    assert record.end_reason is EndReason.MISSED and record.missed
    assert "group" not in call_log_payload(record)


def test_the_cause_only_matters_while_ringing() -> None:
    lines = make_lines()
    call_id = ringing(lines)
    lines.answer(call_id, 11.0)
    (record,) = records(lines.handle(CallDisconnected(call_id, 200, "", 200), 12.0))
    assert record.end_reason is EndReason.REMOTE_HANGUP
