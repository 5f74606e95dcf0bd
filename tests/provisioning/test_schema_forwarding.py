"""Forwarding rules: precedence and the schedule window (including overnight windows)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from schema_examples import example_profile_dict

from communicator.provisioning.schema import (
    ForwardDecision,
    ForwardingKind,
    ForwardingSettings,
    ScheduleForwarding,
    Weekday,
    parse_profile,
)

# 2024-01-01 was a Monday.
MON = dt.date(2024, 1, 1)


def at(day_offset: int, hhmm: str) -> dt.datetime:
    hour, minute = (int(x) for x in hhmm.split(":"))
    return dt.datetime.combine(MON + dt.timedelta(days=day_offset), dt.time(hour, minute))


def schedule(start: str, end: str, days: list[str]) -> ScheduleForwarding:
    return ScheduleForwarding.model_validate(
        {"enabled": True, "target": "2000", "start": start, "end": end, "days": days}
    )


def test_weekday_numbers_match_datetime() -> None:
    assert Weekday.MON.number == 0 == MON.weekday()
    assert Weekday.SUN.number == 6
    assert Weekday.from_number(-1) is Weekday.SUN


@pytest.mark.parametrize(
    ("day", "hhmm", "expected"),
    [
        (0, "08:59", False),
        (0, "09:00", True),
        (0, "16:59", True),
        (0, "17:00", False),
        (1, "12:00", False),  # Tuesday is not listed
        (2, "12:00", True),
    ],
)
def test_daytime_window(day: int, hhmm: str, expected: bool) -> None:
    assert schedule("09:00", "17:00", ["mon", "wed"]).covers(at(day, hhmm)) is expected


@pytest.mark.parametrize(
    ("day", "hhmm", "expected"),
    [
        (4, "21:59", False),  # Friday before start
        (4, "22:00", True),  # Friday start
        (4, "23:59", True),
        (5, "00:00", True),  # Saturday morning: Friday's window continues
        (5, "05:59", True),
        (5, "06:00", False),  # end is exclusive
        (5, "22:30", False),  # Saturday evening: Saturday not listed
        (6, "03:00", False),  # Sunday morning: Saturday not listed
        (4, "03:00", False),  # Friday morning: Thursday not listed
        (0, "03:00", False),
    ],
)
def test_overnight_window_across_midnight(day: int, hhmm: str, expected: bool) -> None:
    rule = schedule("22:00", "06:00", ["fri"])
    assert rule.overnight
    assert rule.covers(at(day, hhmm)) is expected


def test_overnight_window_across_the_week_boundary() -> None:
    rule = schedule("20:00", "07:00", ["sun"])
    assert rule.covers(at(6, "23:00"))
    assert rule.covers(at(7, "06:30"))  # Monday morning after a Sunday
    assert not rule.covers(at(7, "07:00"))
    assert not rule.covers(at(6, "06:30"))  # Sunday morning: Saturday not listed
    assert rule.covers(at(-1, "21:00"))


def test_times_are_exposed_as_time_objects() -> None:
    rule = schedule("22:15", "06:45", ["mon"])
    assert rule.start_time == dt.time(22, 15)
    assert rule.end_time == dt.time(6, 45)


def test_aware_datetimes_use_their_wall_clock() -> None:
    rule = schedule("09:00", "17:00", ["mon"])
    tz = dt.timezone(dt.timedelta(hours=5))
    assert rule.covers(dt.datetime(2024, 1, 1, 9, 30, tzinfo=tz))


def forwarding(**rules: dict[str, Any]) -> ForwardingSettings:
    return ForwardingSettings.model_validate(rules)


def test_no_rules_means_ring() -> None:
    fwd = ForwardingSettings()
    assert fwd.decide(at(0, "12:00"), busy=False) is None
    assert fwd.decide(at(0, "12:00"), busy=True) is None


def test_precedence_always_over_schedule_over_busy_and_no_answer() -> None:
    rules = {
        "always": {"enabled": True, "target": "1"},
        "schedule": {
            "enabled": True,
            "target": "2",
            "start": "09:00",
            "end": "17:00",
            "days": ["mon"],
        },
        "busy": {"enabled": True, "target": "3"},
        "no_answer": {"enabled": True, "target": "4", "after_seconds": 12},
    }
    in_window, off_window = at(0, "10:00"), at(0, "18:00")
    fwd = forwarding(**rules)
    assert fwd.decide(in_window, busy=True) == ForwardDecision(ForwardingKind.ALWAYS, "1")
    rules["always"]["enabled"] = False
    fwd = forwarding(**rules)
    assert fwd.decide(in_window, busy=True) == ForwardDecision(ForwardingKind.SCHEDULE, "2")
    assert fwd.decide(off_window, busy=True) == ForwardDecision(ForwardingKind.BUSY, "3")
    assert fwd.decide(off_window, busy=False) == ForwardDecision(ForwardingKind.NO_ANSWER, "4", 12)
    rules["busy"]["enabled"] = False
    fwd = forwarding(**rules)
    # Busy without a busy rule: the call waits and the no-answer rule applies.
    assert fwd.decide(off_window, busy=True) == ForwardDecision(ForwardingKind.NO_ANSWER, "4", 12)


def test_disabled_schedule_never_applies() -> None:
    fwd = forwarding(
        schedule={
            "enabled": False,
            "target": "2",
            "start": "00:00",
            "end": "23:59",
            "days": ["mon"],
        }
    )
    assert fwd.decide(at(0, "12:00"), busy=False) is None


def test_example_profile_forwarding(example_profile_dict: dict[str, Any]) -> None:
    profile = parse_profile(example_profile_dict)
    # Example: schedule 22:00-06:00 Mon..Fri to sip:night@..., busy -> +48..., no answer -> 2000.
    night = profile.forwarding.decide(at(1, "02:00"), busy=False)
    assert night == ForwardDecision(ForwardingKind.SCHEDULE, "sip:night@pbx.example.com")
    assert profile.forwarding.decide(at(0, "02:00"), busy=False) == ForwardDecision(
        ForwardingKind.NO_ANSWER, "2000", 25
    )
    assert profile.forwarding.decide(at(2, "12:00"), busy=True) == ForwardDecision(
        ForwardingKind.BUSY, "+48221234500"
    )


def test_decide_is_pure() -> None:
    fwd = forwarding(no_answer={"enabled": True, "target": "4"})
    when = at(3, "09:00")
    assert fwd.decide(when, busy=False) == fwd.decide(when, busy=False)
    assert when == at(3, "09:00")


def test_example_dict_is_untouched_by_parsing() -> None:
    doc = example_profile_dict()
    before = repr(doc)
    parse_profile(doc)
    assert repr(doc) == before
