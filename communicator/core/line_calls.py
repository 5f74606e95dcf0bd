"""The calls on the agent's lines and the bookkeeping every operation on them shares.

`LineCalls` holds the live calls and shows them (per call, per line, the active ones). Its
helpers are the steps the operations in `Lines` (and its parts `transfers` and
`adapter_events`) are made of: look a call up and refuse it through `operations.refusal`, take
a line, hold the active unit, make another unit active, forward a call, end a call with its one
record. `atomic` makes an operation all-or-nothing.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from types import MappingProxyType
from typing import Concatenate, ParamSpec, TypeVar
from uuid import UUID

from communicator.core.call_effects import (
    CallEffect,
    CallFinished,
    Hold,
    Notice,
    Redirect,
    Unhold,
)
from communicator.core.call_record import CallRecord
from communicator.core.calls import (
    Call,
    CallDirection,
    CallId,
    CallState,
    EndReason,
    RemoteParty,
    TransferState,
)
from communicator.core.dialing import DialPlan, DialTarget, parse_dial_string
from communicator.core.errors import InvalidDialStringError, InvalidOperationError
from communicator.core.notices import NoticeCode
from communicator.core.operations import Operation, conference_unit, line_refusal, refusal

_P = ParamSpec("_P")
_R = TypeVar("_R")
_L = TypeVar("_L", bound="LineCalls")


def atomic(
    method: Callable[Concatenate[_L, _P], _R],
) -> Callable[Concatenate[_L, _P], _R]:
    """Roll the calls back if the operation raises, so errors leave the state unchanged."""

    @functools.wraps(method)
    def run(self: _L, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        saved = dict(self._calls)
        try:
            return method(self, *args, **kwargs)
        except BaseException:
            self._calls = saved
            raise

    return run


class LineCalls:
    def __init__(
        self,
        max_lines: int,
        dial_plan: DialPlan,
        *,
        new_uuid: Callable[[], UUID] = uuid.uuid4,
    ) -> None:
        if max_lines < 1:
            raise ValueError("max_lines must be at least 1")
        self._max_lines = max_lines
        self._plan = dial_plan
        self._new_uuid = new_uuid
        self._calls: dict[CallId, Call] = {}

    # ----------------------------------------------------------------- observation

    @property
    def max_lines(self) -> int:
        return self._max_lines

    @property
    def calls(self) -> Mapping[CallId, Call]:
        """A snapshot of the live calls."""
        return MappingProxyType(dict(self._calls))

    def call(self, call_id: CallId) -> Call:
        try:
            return self._calls[call_id]
        except KeyError:
            raise InvalidOperationError("That call has already ended") from None

    def by_line(self) -> tuple[Call | None, ...]:
        """The call on each line, line 1 first (a call taking over the line of a referring
        call shows once that call has ended)."""
        on_line = {
            c.line: c
            for c in self._calls.values()
            if c.takes_line_from is None or c.takes_line_from not in self._calls
        }
        return tuple(on_line.get(n) for n in range(1, self._max_lines + 1))

    @property
    def free_lines(self) -> tuple[int, ...]:
        return tuple(n for n, c in enumerate(self.by_line(), start=1) if c is None)

    @property
    def active_call_ids(self) -> frozenset[CallId]:
        """The calls the agent hears now (one call, or both calls of a conference)."""
        return frozenset(c.call_id for c in self._calls.values() if c.state is CallState.CONNECTED)

    # -------------------------------------------------------------- finding and refusing

    def _new_call_id(self) -> CallId:
        return CallId(str(self._new_uuid()))

    def _new_outgoing(
        self,
        target: DialTarget,
        line: int,
        now: float,
        *,
        transfer: TransferState = TransferState.NONE,
        linked_call: CallId | None = None,
        takes_line_from: CallId | None = None,
        name: str = "",
    ) -> Call:
        """A new outgoing call on ``line``, dialling ``target`` (placed, a consultation, or a
        far end's transfer followed); ``name``: who the agent is calling, where known."""
        return Call(
            call_id=self._new_call_id(),
            direction=CallDirection.OUTGOING,
            remote=RemoteParty(uri=target.uri, number=target.number, display_name=name),
            line=line,
            state=CallState.DIALING,
            created_at=now,
            transfer=transfer,
            linked_call=linked_call,
            takes_line_from=takes_line_from,
        )

    def _find(self, call_id: CallId, operation: Operation) -> Call:
        call = self._calls.get(call_id)
        if call is None:
            raise InvalidOperationError(f"Cannot {operation.value} the call: it has already ended")
        return call

    def _get(self, call_id: CallId, operation: Operation) -> Call:
        """The call, if ``operation`` is allowed on it now; else its refusal is raised."""
        call = self._find(call_id, operation)
        refused = refusal(operation, self, call)
        if refused is not None:
            raise refused
        return call

    def _call_on_line(self, line: int) -> Call:
        if not 1 <= line <= self._max_lines:
            raise InvalidOperationError(
                f"There is no line {line}; lines are 1 to {self._max_lines}"
            )
        call = self.by_line()[line - 1]
        if call is None:
            raise InvalidOperationError(f"Line {line} is free")
        return call

    def _allocate_line(self, line: int | None) -> int:
        refused = line_refusal(self, line)
        if refused is not None:
            raise refused
        return line if line is not None else self.free_lines[0]

    # --------------------------------------------------------------- shared steps

    def _unit(self, call: Call) -> list[Call]:
        return conference_unit(self._calls, call)

    def _hold_active(self, keep: Iterable[CallId]) -> list[CallEffect]:
        kept = set(keep)
        effects: list[CallEffect] = []
        for call in list(self._calls.values()):
            if call.state is CallState.CONNECTED and call.call_id not in kept:
                self._calls[call.call_id] = replace(call, state=CallState.HELD)
                effects.append(Hold(call.call_id))
        return effects

    def _activate(self, call: Call) -> list[CallEffect]:
        """Make ``call``'s unit the one the agent hears: hold the others, resume it."""
        unit = self._unit(call)
        effects = self._hold_active(keep=[m.call_id for m in unit])
        for member in unit:
            if member.state is CallState.HELD:
                self._calls[member.call_id] = replace(member, state=CallState.CONNECTED)
                effects.append(Unhold(member.call_id))
        return effects

    def _forward_target(self, dial: str | None, effects: list[CallEffect]) -> str | None:
        """Normalise a forwarding target; an unusable one is skipped with a notice, so a bad
        profile entry cannot lose the call."""
        if dial is None:
            return None
        try:
            return parse_dial_string(dial, self._plan).uri
        except InvalidDialStringError as error:
            effects.append(
                Notice.coded(
                    f"Call forwarding skipped: {error}", NoticeCode.FORWARDING_SKIPPED, detail=error
                )
            )
            return None

    def _forward(self, call: Call, target: str, now: float) -> list[CallEffect]:
        effects: list[CallEffect] = [Redirect(call.call_id, target)]
        effects += self._end(replace(call, forwarded_to=target), EndReason.FORWARDED, now, 302)
        return effects

    def _end(
        self, call: Call, reason: EndReason, now: float, sip_code: int | None = None
    ) -> list[CallEffect]:
        """Remove the call, unlink its partners and emit its one record."""
        self._calls.pop(call.call_id, None)
        partner = self._calls.get(call.conference_with) if call.conference_with else None
        if partner is not None:
            self._calls[partner.call_id] = replace(partner, conference_with=None)
        linked = self._calls.get(call.linked_call) if call.linked_call else None
        if linked is not None and linked.transfer is TransferState.COMPLETING:
            # The REFER is out; its final NOTIFY still decides how the original ends.
            self._calls[linked.call_id] = replace(linked, linked_call=None)
        elif linked is not None:
            self._calls[linked.call_id] = replace(
                linked, transfer=TransferState.NONE, linked_call=None, transfer_target=None
            )
        for taker in [c for c in self._calls.values() if c.takes_line_from == call.call_id]:
            # The call to the transfer target now shows on the line it took over.
            self._calls[taker.call_id] = replace(self._calls[taker.call_id], takes_line_from=None)
        ended = replace(
            call, state=CallState.ENDED, ended_at=now, end_reason=reason, sip_code=sip_code
        )
        return [CallFinished(CallRecord.from_call(ended, self._new_uuid()))]
