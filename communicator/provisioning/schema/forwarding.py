"""Call forwarding rules and the pure decision of which one applies to an incoming call."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import AfterValidator, Field, Strict, field_validator, model_validator

from .base import Section, lower_case
from .enums import ForwardingKind, Weekday
from .validators import Bool, Int, Str, between, check_sip_uri_or_number, describe, fail

__all__ = [
    "WORKDAYS",
    "AlwaysForwarding",
    "BusyForwarding",
    "ForwardDecision",
    "ForwardingSettings",
    "NoAnswerForwarding",
    "ScheduleForwarding",
]

WORKDAYS: tuple[Weekday, ...] = (Weekday.MON, Weekday.TUE, Weekday.WED, Weekday.THU, Weekday.FRI)

Target = Annotated[str, Strict(), AfterValidator(check_sip_uri_or_number)]


def _check_clock(value: str) -> str:
    if (
        len(value) != 5
        or value[2] != ":"
        or not (value[:2] + value[3:]).isascii()
        or not (value[:2] + value[3:]).isdigit()
        or int(value[:2]) > 23
        or int(value[3:]) > 59
    ):
        fail(f"must be a time of day written HH:MM, 00:00..23:59 (got {describe(value)})")
    return value


ClockTime = Annotated[Str, AfterValidator(_check_clock)]


def _clock(value: str) -> dt.time:
    return dt.time(int(value[:2]), int(value[3:]))


class _Rule(Section):
    enabled: Bool = Field(default=False, description="Whether this rule is active.")
    target: Target | None = Field(
        default=None, description="Number or SIP URI to forward to; required when enabled."
    )

    @model_validator(mode="after")
    def _enabled_needs_target(self) -> Any:
        if self.enabled and self.target is None:
            fail("is required when the rule is enabled", field="target")
        return self


class AlwaysForwarding(_Rule):
    """Forward every call immediately."""


class BusyForwarding(_Rule):
    """Forward calls arriving while the agent's lines are busy."""


class NoAnswerForwarding(_Rule):
    """Forward calls not answered within :attr:`after_seconds`."""

    after_seconds: Annotated[Int, between(1, 300)] = Field(
        default=20, description="Ring this many seconds (1..300) before forwarding."
    )


class ScheduleForwarding(_Rule):
    """Forward calls immediately during a daily time window.

    The window runs from :attr:`start` (inclusive) to :attr:`end` (exclusive), local time.
    When ``end`` is earlier than ``start`` the window runs overnight. :attr:`days` are the
    days on which a window *starts*: with ``days=(fri,)``, start 22:00 and end 06:00, a call
    on Saturday at 05:00 is forwarded but one on Friday at 05:00 is not.
    """

    start: ClockTime = Field(default="18:00", description="Window start, HH:MM (inclusive).")
    end: ClockTime = Field(
        default="08:00", description="Window end, HH:MM (exclusive); before start = overnight."
    )
    days: tuple[Annotated[Weekday, lower_case], ...] = Field(
        default=WORKDAYS,
        description="Days (mon..sun) on which the window starts; stored once each, in week order.",
    )

    @field_validator("days")
    @classmethod
    def _normalise_days(cls, value: tuple[Weekday, ...]) -> tuple[Weekday, ...]:
        return tuple(sorted(set(value), key=lambda day: day.number))

    @model_validator(mode="after")
    def _check_window(self) -> ScheduleForwarding:
        if self.start == self.end:
            fail(f"must differ from start ({self.start})", field="end")
        if self.enabled and not self.days:
            fail("must list at least one day when the rule is enabled", field="days")
        return self

    @property
    def start_time(self) -> dt.time:
        """:attr:`start` as a :class:`datetime.time`."""
        return _clock(self.start)

    @property
    def end_time(self) -> dt.time:
        """:attr:`end` as a :class:`datetime.time`."""
        return _clock(self.end)

    @property
    def overnight(self) -> bool:
        """True when the window crosses midnight."""
        return self.end < self.start

    def covers(self, when: dt.datetime) -> bool:
        """Whether ``when`` (the agent's local wall-clock time) falls in a window.

        Ignores :attr:`enabled`. An aware datetime is taken at its own wall-clock time.
        """
        now = when.time().replace(second=0, microsecond=0)
        today = Weekday.from_number(when.weekday())
        start, end = self.start_time, self.end_time
        if not self.overnight:
            return today in self.days and start <= now < end
        if now >= start:
            return today in self.days
        yesterday = Weekday.from_number(when.weekday() - 1)
        return now < end and yesterday in self.days


@dataclass(frozen=True, slots=True)
class ForwardDecision:
    """The forwarding rule that applies to an incoming call.

    ``delay_seconds`` is 0 when the call is forwarded at once, otherwise how long to ring
    the agent before forwarding (the no-answer rule).
    """

    kind: ForwardingKind
    target: str
    delay_seconds: int = 0


class ForwardingSettings(Section):
    """All call-forwarding rules. Precedence: always > schedule > busy > no answer."""

    always: AlwaysForwarding = Field(
        default_factory=AlwaysForwarding, description="Unconditional forwarding."
    )
    schedule: ScheduleForwarding = Field(
        default_factory=ScheduleForwarding, description="Forwarding during a time window."
    )
    busy: BusyForwarding = Field(
        default_factory=BusyForwarding, description="Forwarding when the agent is busy."
    )
    no_answer: NoAnswerForwarding = Field(
        default_factory=NoAnswerForwarding, description="Forwarding after N seconds of ringing."
    )

    def decide(self, when: dt.datetime, *, busy: bool) -> ForwardDecision | None:
        """Which forwarding applies to a call arriving at ``when`` (agent's local time).

        ``busy`` tells whether the agent's lines are busy. Returns None when the call should
        simply ring. Pure: depends only on the arguments and the settings.
        """
        always = self.always
        if always.enabled and always.target is not None:
            return ForwardDecision(ForwardingKind.ALWAYS, always.target)
        schedule = self.schedule
        if schedule.enabled and schedule.target is not None and schedule.covers(when):
            return ForwardDecision(ForwardingKind.SCHEDULE, schedule.target)
        on_busy = self.busy
        if busy and on_busy.enabled and on_busy.target is not None:
            return ForwardDecision(ForwardingKind.BUSY, on_busy.target)
        no_answer = self.no_answer
        if no_answer.enabled and no_answer.target is not None:
            return ForwardDecision(
                ForwardingKind.NO_ANSWER, no_answer.target, no_answer.after_seconds
            )
        return None
