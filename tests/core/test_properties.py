"""Random sequences of operations and events: only the documented error, invariants hold."""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable

from hypothesis import event as note_event
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
)

from communicator.core.agent_state import (
    AgentEvent,
    AgentState,
    AgentStateMachine,
    CallDone,
    CallStarted,
    SetNotReady,
    SetReady,
)
from communicator.core.agent_state import LogIn as AgentSignIn
from communicator.core.agent_state import LogOut as AgentSignOut
from communicator.core.agent_state import TimePassed as AgentTick
from communicator.core.call_effects import Outcome
from communicator.core.call_events import (
    CallConfirmed,
    CallDisconnected,
    CallEvent,
    EarlyMedia,
    RemoteHoldChanged,
    RemoteRinging,
    TransferProgress,
)
from communicator.core.calls import CallId, CallState, DtmfMethod
from communicator.core.dialing import DialKind, parse_dial_string
from communicator.core.errors import InvalidDialStringError, InvalidOperationError
from communicator.core.forwarding_decision import ForwardingDecision, NoAnswerForward
from communicator.core.lines import Lines, Operation
from communicator.core.registration import (
    LOST_CONNECTION_MESSAGE,
    FailureReason,
    IpAddressChanged,
    NetworkErrorKind,
    RegisterAttemptStarted,
    RegistrationEvent,
    RegistrationFailed,
    RegistrationMachine,
    RegistrationPolicy,
    RegistrationState,
    RegistrationSucceeded,
    SendRegister,
    SignIn,
    SignOut,
    Tick,
    TransportFailed,
    Unregistered,
)
from tests.core.helpers import CALLER, PLAN, make_lines

MAX_LINES = 3
DIALS = st.sampled_from(["2001", "+44 20 7946 0958", "sip:bob@example.org", "", "x!y", "5"])
FORWARDING = st.sampled_from(
    [
        ForwardingDecision(),
        ForwardingDecision(immediate="2999"),
        ForwardingDecision(when_busy="2999"),
        ForwardingDecision(on_no_answer=NoAnswerForward("2999", 10)),
        ForwardingDecision(immediate="??"),
    ]
)
CODES = st.sampled_from([None, 200, 404, 408, 480, 486, 487, 503, 603])


class LinesMachine(RuleBasedStateMachine):
    """Every call that starts ends with exactly one record; never more than max_lines calls;
    at most one active unit; a refused operation changes nothing."""

    @initialize()
    def start(self) -> None:
        self.lines = make_lines(MAX_LINES)
        self.now = 0.0
        self.started: list[CallId] = []
        self.recorded: list[CallId] = []

    def run(self, operation: Callable[[], Outcome]) -> None:
        before = self.lines.calls
        try:
            outcome = operation()
        except InvalidOperationError:
            assert self.lines.calls == before
            return
        note_event(f"effects: {sorted({type(e).__name__ for e in outcome.effects})}")
        if outcome.call_id is not None:
            self.started.append(outcome.call_id)
        self.recorded += [record.call_id for record in outcome.records]

    def pick(self, index: int) -> CallId:
        """Mostly a live call; sometimes an ended one or one that never existed."""
        live = sorted(self.lines.calls)
        if live and index < 16:
            return live[index % len(live)]
        if self.started and index < 20:
            return self.started[index % len(self.started)]
        return CallId("never-existed")

    @rule(seconds=st.floats(0, 30))
    def time_passes(self, seconds: float) -> None:
        self.now += seconds

    @rule(dial=DIALS, line=st.none() | st.integers(0, MAX_LINES + 1))
    def place_call(self, dial: str, line: int | None) -> None:
        self.run(lambda: self.lines.place_call(dial, self.now, line=line))

    @rule(forwarding=FORWARDING)
    def incoming_call(self, forwarding: ForwardingDecision) -> None:
        self.run(lambda: self.lines.incoming_call(CALLER, self.now, forwarding))

    @rule(
        i=st.integers(0, 20),
        name=st.sampled_from(
            [
                "answer",
                "reject",
                "hangup",
                "hold",
                "resume",
                "mute",
                "unmute",
                "dtmf",
                "bad_dtmf",
                "blind",
                "consult",
                "complete",
                "cancel",
                "split",
                "no_answer",
                "record",
                "far_end_transfer",
            ]
        ),
    )
    def call_operation(self, i: int, name: str) -> None:
        c, now, lines = self.pick(i), self.now, self.lines
        operations: dict[str, Callable[[], Outcome]] = {
            "answer": lambda: lines.answer(c, now),
            "reject": lambda: lines.reject(c, now),
            "hangup": lambda: lines.hangup(c, now),
            "hold": lambda: lines.hold(c),
            "resume": lambda: lines.resume(c),
            "mute": lambda: lines.set_mute(c, True),
            "unmute": lambda: lines.set_mute(c, False),
            "dtmf": lambda: lines.send_dtmf(c, "12#", DtmfMethod.SIP_INFO),
            "bad_dtmf": lambda: lines.send_dtmf(c, "12x"),
            "blind": lambda: lines.blind_transfer(c, "2002", now),
            "consult": lambda: lines.start_consult(c, "2002", now),
            "complete": lambda: lines.complete_transfer(c, now),
            "cancel": lambda: lines.cancel_consult(c, now),
            "split": lambda: lines.split_conference(c),
            "no_answer": lambda: lines.no_answer_timeout(c, now),
            "record": lambda: lines.attach_recording(c, "/rec.wav"),
            "far_end_transfer": lambda: lines.follow_transfer(c, "2003", now),
        }
        self.run(operations[name])

    # Shortcuts to answered calls, so conference and transfer paths are reached often.
    @rule()
    def answered_incoming(self) -> None:
        ringing: list[CallId] = []

        def ring() -> Outcome:
            outcome = self.lines.incoming_call(CALLER, self.now)
            ringing.append(outcome.call_id or CallId("none"))
            return outcome

        self.run(ring)
        self.run(lambda: self.lines.answer(ringing[0], self.now))

    @rule(i=st.integers(0, 20), consult=st.booleans())
    def answered_outgoing(self, i: int, consult: bool) -> None:
        placed: list[CallId] = []

        def dial() -> Outcome:
            if consult:
                outcome = self.lines.start_consult(self.pick(i), "2002", self.now)
            else:
                outcome = self.lines.place_call("2001", self.now)
            placed.append(outcome.call_id or CallId("none"))
            return outcome

        self.run(dial)
        if placed:
            self.run(lambda: self.lines.handle(CallConfirmed(placed[0]), self.now))

    @rule(i=st.integers(0, 20), j=st.integers(0, 20))
    def conference(self, i: int, j: int) -> None:
        self.run(lambda: self.lines.conference(self.pick(i), self.pick(j)))

    @rule(line=st.integers(0, MAX_LINES + 1))
    def switch_line(self, line: int) -> None:
        self.run(lambda: self.lines.switch_line(line, self.now))

    @rule()
    def swap(self) -> None:
        self.run(self.lines.swap)

    @rule(
        i=st.integers(0, 20),
        kind=st.sampled_from(["ringing", "early", "confirmed", "hold", "unhold"]),
    )
    def adapter_event(self, i: int, kind: str) -> None:
        c = self.pick(i)
        events: dict[str, CallEvent] = {
            "ringing": RemoteRinging(c),
            "early": EarlyMedia(c),
            "confirmed": CallConfirmed(c),
            "hold": RemoteHoldChanged(c, True),
            "unhold": RemoteHoldChanged(c, False),
        }
        self.run(lambda: self.lines.handle(events[kind], self.now))

    @rule(i=st.integers(0, 20), code=CODES)
    def disconnected(self, i: int, code: int | None) -> None:
        self.run(lambda: self.lines.handle(CallDisconnected(self.pick(i), code), self.now))

    @rule(
        i=st.integers(0, 20), code=st.sampled_from([100, 200, 202, 486, 603]), final=st.booleans()
    )
    def transfer_progress(self, i: int, code: int, final: bool) -> None:
        event = TransferProgress(self.pick(i), code, "", final)
        self.run(lambda: self.lines.handle(event, self.now))

    @invariant()
    def lines_hold_at_most_max_lines_calls(self) -> None:
        calls = self.lines.calls
        # A call to a far end's transfer target may share the line of the referring call.
        shown = [
            c for c in calls.values() if c.takes_line_from is None or c.takes_line_from not in calls
        ]
        assert len(shown) <= MAX_LINES
        numbers = [c.line for c in shown]
        assert len(set(numbers)) == len(numbers)
        assert all(c.line is not None and 1 <= c.line <= MAX_LINES for c in calls.values())
        for call in calls.values():
            if call.takes_line_from is not None:
                referring = calls[call.takes_line_from]
                assert referring.line == call.line
                assert referring.linked_call == call.call_id
        assert [c for c in self.lines.by_line() if c is not None] == sorted(
            shown, key=lambda c: c.line or 0
        )

    @rule(i=st.integers(0, 20))
    def allowed_operations_are_exactly_those_that_succeed(self, i: int) -> None:
        """Each operation is tried on a copy of the lines: it succeeds if and only if
        `allowed_operations` (and `conference_partners`) says so."""
        call_id = self.pick(i)
        allowed = self.lines.allowed_operations(call_id)
        for operation in Operation:
            if operation is Operation.CONFERENCE:
                partners = self.conference_partners_by_trial(call_id)
                assert partners == set(self.lines.conference_partners(call_id))
                assert (operation in allowed) == bool(partners), (operation, partners)
            else:
                succeeded = self.succeeds(functools.partial(try_operation, op=operation, c=call_id))
                assert (operation in allowed) == succeeded, (operation, call_id)

    @rule(line=st.none() | st.integers(0, MAX_LINES + 1))
    def placing_and_swapping_are_allowed_exactly_when_they_succeed(self, line: int | None) -> None:
        placed = self.succeeds(lambda lines: lines.place_call("2001", 0.0, line=line))
        assert self.lines.can_place_call(line) == placed, line
        assert self.lines.can_swap == self.succeeds(Lines.swap)

    def conference_partners_by_trial(self, call_id: CallId) -> set[CallId]:
        return {
            other
            for other in self.lines.calls
            if self.succeeds(lambda lines: lines.conference(call_id, other))  # noqa: B023
        }

    def succeeds(self, operation: Callable[[Lines], object]) -> bool:
        trial = copy.deepcopy(self.lines)
        try:
            operation(trial)
        except InvalidOperationError:
            return False
        return True

    @invariant()
    def at_most_one_active_unit(self) -> None:
        calls = self.lines.calls
        active = [c for c in calls.values() if c.state is CallState.CONNECTED]
        assert len(active) <= 2
        if len(active) == 2:
            a, b = active
            assert a.conference_with == b.call_id
            assert b.conference_with == a.call_id

    @invariant()
    def links_are_symmetric(self) -> None:
        calls = self.lines.calls
        for call in calls.values():
            if call.conference_with is not None:
                partner = calls[call.conference_with]
                assert partner.conference_with == call.call_id
                assert partner.state is call.state
            if call.linked_call is not None:
                assert calls[call.linked_call].linked_call == call.call_id

    @invariant()
    def records_are_unique_and_only_for_ended_calls(self) -> None:
        assert len(set(self.recorded)) == len(self.recorded)
        assert not set(self.recorded) & set(self.lines.calls)
        assert set(self.lines.calls) <= set(self.started)

    def teardown(self) -> None:
        if not hasattr(self, "lines"):
            return
        for call_id in list(self.lines.calls):
            self.run(functools.partial(self.lines.hangup, call_id, self.now))
        assert self.lines.calls == {}
        assert sorted(self.recorded) == sorted(self.started)


def try_operation(lines: Lines, op: Operation, c: CallId) -> object:
    """Operation ``op`` on call ``c`` with arguments that are always valid."""
    operation, call_id, now = op, c, 100.0
    if operation is Operation.ACTIVATE:
        # The agent clicks the call's line, which reaches the call the line shows.
        shown = [n for n, c in enumerate(lines.by_line(), 1) if c and c.call_id == call_id]
        if not shown:
            raise InvalidOperationError("the call is not shown on a line")
        return lines.switch_line(shown[0], now)
    calls: dict[Operation, Callable[[], object]] = {
        Operation.ANSWER: lambda: lines.answer(call_id, now),
        Operation.REJECT: lambda: lines.reject(call_id, now),
        Operation.HANGUP: lambda: lines.hangup(call_id, now),
        Operation.HOLD: lambda: lines.hold(call_id),
        Operation.RESUME: lambda: lines.resume(call_id),
        Operation.MUTE: lambda: lines.set_mute(call_id, True),
        Operation.DTMF: lambda: lines.send_dtmf(call_id, "1"),
        Operation.BLIND_TRANSFER: lambda: lines.blind_transfer(call_id, "2002", now),
        Operation.START_CONSULT: lambda: lines.start_consult(call_id, "2002", now),
        Operation.COMPLETE_TRANSFER: lambda: lines.complete_transfer(call_id, now),
        Operation.CANCEL_CONSULT: lambda: lines.cancel_consult(call_id, now),
        Operation.SPLIT: lambda: lines.split_conference(call_id),
        Operation.ATTACH_RECORDING: lambda: lines.attach_recording(call_id, "/rec.wav"),
        Operation.FOLLOW_TRANSFER: lambda: lines.follow_transfer(call_id, "2003", now),
    }
    return calls[operation]()


TestLinesProperties = LinesMachine.TestCase
TestLinesProperties.settings = settings(max_examples=200, stateful_step_count=50, deadline=None)


# -------------------------------------------------------------------------- registration

REGISTRATION_EVENTS: list[RegistrationEvent] = [
    SignIn(),
    SignOut(),
    RegisterAttemptStarted(),
    RegistrationSucceeded(30, "192.0.2.1", 5060, "UDP", "pbx"),
    RegistrationSucceeded(8, "192.0.2.1", 5060, "UDP", "pbx"),
    RegistrationFailed(401, "Unauthorized"),
    RegistrationFailed(404, "Not Found"),
    RegistrationFailed(408, "Timeout"),
    RegistrationFailed(503, "Unavailable"),
    TransportFailed(NetworkErrorKind.TLS),
    TransportFailed(NetworkErrorKind.CONNECT),
    Unregistered(),
    IpAddressChanged(),
    Tick(),
]


@settings(max_examples=300, deadline=None)
@given(
    steps=st.lists(st.tuples(st.floats(0, 40), st.sampled_from(REGISTRATION_EVENTS)), max_size=60),
    jitter=st.sampled_from([0.0, 0.3]),
)
def test_registration_random_sequences(
    steps: list[tuple[float, RegistrationEvent]], jitter: float
) -> None:
    policy = RegistrationPolicy(jitter=jitter)
    m = RegistrationMachine(policy, random=lambda: 0.5)
    now = 0.0
    for dt, event in steps:
        now += dt
        before = m.status
        try:
            commands = m.handle(event, now)
        except InvalidOperationError:
            assert isinstance(event, SignIn | SignOut)
            assert m.status == before
            continue
        status = m.status
        assert (status.current is not None) == status.state.is_registered
        if status.state is RegistrationState.FAILED:
            assert status.last_failure is not None
            assert status.last_failure.reason is FailureReason.BAD_CREDENTIALS
            assert not any(isinstance(c, SendRegister) for c in commands)
            assert m.next_deadline is None
        if status.state is RegistrationState.RETRYING:
            assert status.last_failure is not None
            assert status.next_attempt_at is not None
            delay = status.next_attempt_at - status.last_failure.at
            fast = status.last_failure.reason in (
                FailureReason.UNREACHABLE,
                FailureReason.TIMEOUT,
                FailureReason.DNS_FAILURE,
            )
            assert 0 < delay <= (policy.retry_max_delay if fast else 60.0)
        if status.state is RegistrationState.SIGNED_OUT:
            assert not status.lost_connection
            assert m.next_deadline is None
        assert (status.message == LOST_CONNECTION_MESSAGE) == status.lost_connection


# ---------------------------------------------------------------------------- agent state

AGENT_EVENTS: list[AgentEvent] = [
    AgentSignIn(),
    AgentSignIn("break"),
    AgentSignOut(),
    SetReady(),
    SetNotReady("lunch"),
    CallStarted(CallId("a")),
    CallStarted(CallId("b")),
    CallDone(CallId("a"), True),
    CallDone(CallId("b"), False),
    AgentTick(),
]


@settings(max_examples=300, deadline=None)
@given(steps=st.lists(st.tuples(st.floats(0, 20), st.sampled_from(AGENT_EVENTS)), max_size=40))
def test_agent_state_random_sequences(steps: list[tuple[float, AgentEvent]]) -> None:
    m = AgentStateMachine(wrap_up_seconds=15)
    now = 0.0
    for dt, event in steps:
        now += dt
        before = m.status
        try:
            changes = m.handle(event, now)
        except InvalidOperationError:
            assert m.status == before
            continue
        status = m.status
        assert len(changes) == (status != before)
        assert (status.state is AgentState.WRAP_UP) == (status.wrap_up_until is not None)
        assert (status.state is AgentState.NOT_READY) == (status.reason is not None)


# -------------------------------------------------------------------------------- dialing


@given(st.text(max_size=40))
def test_dialing_any_text_gives_a_uri_or_the_documented_error(text: str) -> None:
    try:
        target = parse_dial_string(text, PLAN)
    except InvalidDialStringError as error:
        assert str(error)
        return
    assert target.uri.startswith(("sip:", "sips:"))
    assert not any(ch.isspace() for ch in target.uri)


SEPARATOR = st.sampled_from(["", " ", "-", ".", "/"])


@given(
    subscriber=st.text("0123456789", min_size=9, max_size=10).filter(lambda s: s[0] != "0"),
    prefix=st.sampled_from(["+44", "0044", "0", "+44 (0)"]),
    separators=st.lists(SEPARATOR, min_size=12, max_size=12),
)
def test_national_and_international_forms_give_the_same_e164(
    subscriber: str, prefix: str, separators: list[str]
) -> None:
    spaced = "".join(d + s for d, s in zip(subscriber, separators, strict=False))
    target = parse_dial_string(prefix + " " + spaced, PLAN)
    assert target.kind is DialKind.E164
    assert target.uri == f"sip:+44{subscriber}@pbx.example.com"


@given(st.sampled_from(["2001", "sip:a@example.org"]), st.integers(0, 100))
def test_precondition_free_api_smoke(dial: str, n: int) -> None:
    """place_call never raises anything but the documented error, whatever the line number."""
    lines = make_lines(2)
    try:
        lines.place_call(dial, 0.0, line=n)
    except InvalidOperationError:
        assert lines.calls == {}
