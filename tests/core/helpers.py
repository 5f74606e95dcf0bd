"""Builders shared by the core tests: deterministic ids, a dial plan, calls in a given state."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable

from communicator.core.call_effects import CallFinished, Outcome
from communicator.core.call_events import CallConfirmed, EarlyMedia, RemoteRinging
from communicator.core.call_record import CallRecord
from communicator.core.calls import CallId, CallState, RemoteParty
from communicator.core.dialing import DialPlan
from communicator.core.lines import Lines

PLAN = DialPlan(domain="pbx.example.com", country_code="44")
CALLER = RemoteParty.from_uri("sip:+441632960001@carrier.example.net", "Customer")


def counting_uuids() -> Callable[[], uuid.UUID]:
    counter = itertools.count(1)
    return lambda: uuid.UUID(int=next(counter))


def make_lines(max_lines: int = 2) -> Lines:
    return Lines(max_lines, PLAN, new_uuid=counting_uuids())


def call_id_of(outcome: Outcome) -> CallId:
    assert outcome.call_id is not None
    return outcome.call_id


def records(outcome: Outcome) -> list[CallRecord]:
    return [e.record for e in outcome.effects if isinstance(e, CallFinished)]


def call_in_state(lines: Lines, state: CallState, now: float = 0.0) -> CallId:
    """A new call in ``state`` on the first free line (any active call gets held)."""
    if state is CallState.RINGING_IN:
        return call_id_of(lines.incoming_call(CALLER, now))
    if state in (CallState.CONNECTED, CallState.HELD):
        call_id = call_id_of(lines.incoming_call(CALLER, now))
        lines.answer(call_id, now)
        if state is CallState.HELD:
            lines.hold(call_id)
        return call_id
    call_id = call_id_of(lines.place_call("2001", now))
    if state is CallState.RINGING_OUT:
        lines.handle(RemoteRinging(call_id), now)
    elif state is CallState.EARLY_MEDIA:
        lines.handle(EarlyMedia(call_id), now)
    elif state is not CallState.DIALING:
        raise ValueError(state)
    return call_id


def connected_outgoing(lines: Lines, dial: str = "2001", now: float = 0.0) -> CallId:
    call_id = call_id_of(lines.place_call(dial, now))
    lines.handle(CallConfirmed(call_id), now)
    return call_id
