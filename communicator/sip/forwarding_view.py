"""The forwarding in force: the agent's own rules or the profile's, as the core's decision
function for an incoming call and as one line of text for the agent."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from communicator.core.forwarding_decision import (
    NO_FORWARDING,
    ForwardingDecision,
    ForwardingRules,
)
from communicator.provisioning.schema import ForwardingSettings, VoipProfile


def describe_forwarding(settings: ForwardingSettings, now: dt.datetime) -> str | None:
    """A line for the agent about the forwarding in force (None: calls ring here)."""
    if settings.always.enabled and settings.always.target:
        return f"All calls are forwarded to {settings.always.target}"
    parts: list[str] = []
    schedule = settings.schedule
    if schedule.enabled and schedule.target:
        state = "now" if schedule.covers(now) else "outside the schedule: not now"
        days = ",".join(d.value for d in schedule.days)
        parts.append(
            f"calls {schedule.start}-{schedule.end} ({days}) go to {schedule.target} ({state})"
        )
    if settings.busy.enabled and settings.busy.target:
        parts.append(f"when all lines are busy calls go to {settings.busy.target}")
    if settings.no_answer.enabled and settings.no_answer.target:
        parts.append(
            f"unanswered calls go to {settings.no_answer.target} "
            f"after {settings.no_answer.after_seconds} s"
        )
    if not parts:
        return None
    return "Forwarding: " + "; ".join(parts)


class ForwardingView:
    """The agent's override (`set_override`) or else the profile's forwarding settings."""

    def __init__(
        self, profile: Callable[[], VoipProfile | None], local_now: Callable[[], dt.datetime]
    ) -> None:
        self._profile = profile
        self._local_now = local_now
        self._override: ForwardingSettings | None = None
        self._cache: tuple[tuple[int, dt.datetime], ForwardingSettings, str | None] | None = None

    def set_override(self, settings: ForwardingSettings | None) -> None:
        self._override = settings

    def settings(self) -> ForwardingSettings | None:
        if self._override is not None:
            return self._override
        profile = self._profile()
        return profile.forwarding if profile is not None else None

    def rules(self) -> ForwardingRules:
        """The core's decision for an incoming call now (given whether every line is busy)."""
        settings = self.settings()
        when = self._local_now()

        def rules(busy: bool) -> ForwardingDecision:
            if settings is None:
                return NO_FORWARDING
            decision = settings.decide(when, busy=busy)
            if decision is None:
                return NO_FORWARDING
            return ForwardingDecision.from_rule(
                decision.kind.value, decision.target, decision.delay_seconds
            )

        return rules

    def text(self) -> str | None:
        settings = self.settings()
        if settings is None:
            return None
        # Asked on every publish; it only changes with the settings or the minute.
        now = self._local_now()
        key = (id(settings), now.replace(second=0, microsecond=0))
        cached = self._cache
        if cached is not None and cached[0] == key and cached[1] is settings:
            return cached[2]
        text = describe_forwarding(settings, now)
        self._cache = (key, settings, text)
        return text
