"""How to forward one incoming call, as decided by the profile's forwarding rules.

The rules themselves (always, schedule, busy, no answer) are evaluated by the profile schema
(``ForwardingSettings.decide(when, busy=...)``) when the call arrives; `Lines.incoming_call`
only applies the result. It takes either a `ForwardingDecision` or a `ForwardingRules`
callable that is asked with ``busy`` = "every line is taken", e.g.::

    lambda busy: ForwardingDecision.from_rule(d.kind, d.target, d.delay_seconds)
        if (d := profile.forwarding.decide(local_now, busy=busy)) else NO_FORWARDING
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class NoAnswerForward:
    target: str
    after_seconds: float

    def __post_init__(self) -> None:
        if self.after_seconds < 0:
            raise ValueError("after_seconds must not be negative")


@dataclass(frozen=True)
class ForwardingDecision:
    """Targets are dial strings, normalised with the lines' dial plan.

    ``immediate``: forward without ringing (an "always" or a matching schedule rule).
    ``when_busy``: forward instead of refusing with 486 when every line is busy.
    ``on_no_answer``: forward if the call still rings after ``after_seconds``.
    """

    immediate: str | None = None
    when_busy: str | None = None
    on_no_answer: NoAnswerForward | None = None

    @classmethod
    def from_rule(cls, kind: str, target: str, delay_seconds: float = 0) -> ForwardingDecision:
        """From the profile schema's ``ForwardDecision`` (kind ``always``, ``schedule``,
        ``busy`` or ``no_answer``)."""
        if kind in ("always", "schedule"):
            return cls(immediate=target)
        if kind == "busy":
            return cls(when_busy=target)
        if kind == "no_answer":
            return cls(on_no_answer=NoAnswerForward(target, delay_seconds))
        raise ValueError(f"unknown forwarding kind {kind!r}")


NO_FORWARDING = ForwardingDecision()

ForwardingRules = Callable[[bool], ForwardingDecision]
"""Asked with ``busy`` (every line taken) when a call arrives."""
