"""SIP registration as a state machine: when to (re-)REGISTER, when to give up, what to show.

The SIP adapter turns pjsua2 callbacks into events, stamps them with the engine's clock and
calls `RegistrationMachine.handle(event, now)`; it carries out the returned commands and arms
one timer for `RegistrationMachine.next_deadline`, feeding a `Tick` when it fires. The machine
itself never reads a clock and never sleeps.

Timing (vendor manual): the phone refreshes every ``refresh_interval`` seconds (15) and the
server drops a binding ``expiry`` seconds (30) after the last successful REGISTER. The
registration counts as *lost* when a REGISTER fails, when an attempt gets no answer within
``attempt_timeout``, or when ``expiry`` passes without a successful refresh; the agent then sees
`LOST_CONNECTION_MESSAGE` - always no later than ``expiry`` seconds after the last success.

Retries use capped exponential backoff: 1, 2, 4, 4, 4 ... seconds while the server is
unreachable (timeouts, transport errors, 5xx, DNS). The cap of 4 s is what keeps the promise
"registered again within 5 s after the server is reachable again": the next attempt is never
more than 4 s away, and the REGISTER transaction itself takes well under a second. A larger cap
saves the server little (a 4 s period is 0.25 REGISTER/s per agent) and breaks that promise.
Definitive answers from a reachable server (404, 488, TLS handshake failures) back off to the
slower ``rejected_retry_max_delay``, since retrying fast will not change the answer. Bad
credentials (401/403/407) stop retrying altogether: a wrong password must not be hammered (it
would lock the account); a new `SignIn`, after the profile or password changed, starts again.

The events and commands are in `registration_events`, the policy and what the machine shows in
`registration_values`; every name stays importable from this module.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from communicator.core.errors import InvalidOperationError
from communicator.core.registration_events import (
    AGENT_COMMANDS,
    ClearLostConnection,
    IpAddressChanged,
    NetworkErrorKind,
    RegisterAttemptStarted,
    RegisterReason,
    RegistrationCommand,
    RegistrationEvent,
    RegistrationFailed,
    RegistrationSucceeded,
    ScheduleRetry,
    SendRegister,
    SendUnregister,
    ShowLostConnection,
    SignIn,
    SignOut,
    Tick,
    TransportFailed,
    Unregistered,
)
from communicator.core.registration_values import (
    FAST_RETRY_REASONS,
    LOST_CONNECTION_MESSAGE,
    NETWORK_FAILURES,
    CurrentRegistration,
    FailureReason,
    ProblemCode,
    RegistrationFailure,
    RegistrationPolicy,
    RegistrationProblem,
    RegistrationState,
    RegistrationStatus,
    classify_sip_failure,
    describe_failure,
)

__all__ = [
    "AGENT_COMMANDS",
    "FAST_RETRY_REASONS",
    "LOST_CONNECTION_MESSAGE",
    "NETWORK_FAILURES",
    "TRANSITIONS",
    "ClearLostConnection",
    "CurrentRegistration",
    "FailureReason",
    "IpAddressChanged",
    "NetworkErrorKind",
    "ProblemCode",
    "RegisterAttemptStarted",
    "RegisterReason",
    "RegistrationCommand",
    "RegistrationEvent",
    "RegistrationFailed",
    "RegistrationFailure",
    "RegistrationMachine",
    "RegistrationPolicy",
    "RegistrationProblem",
    "RegistrationState",
    "RegistrationStatus",
    "RegistrationSucceeded",
    "ScheduleRetry",
    "SendRegister",
    "SendUnregister",
    "ShowLostConnection",
    "SignIn",
    "SignOut",
    "Tick",
    "TransportFailed",
    "Unregistered",
    "classify_sip_failure",
    "describe_failure",
]


class RegistrationMachine:
    def __init__(
        self,
        policy: RegistrationPolicy | None = None,
        *,
        random: Callable[[], float] = lambda: 1.0,
    ) -> None:
        """``random`` returns a number in [0, 1] and is only used when ``policy.jitter > 0``."""
        self._policy = policy or RegistrationPolicy()
        self._random = random
        self._state = RegistrationState.SIGNED_OUT
        self._current: CurrentRegistration | None = None
        self._failure: RegistrationFailure | None = None
        self._consecutive_failures = 0
        self._next_attempt_at: float | None = None
        self._attempt_started_at: float | None = None
        self._unregister_started_at: float | None = None
        self._refresh_due: float | None = None
        self._lost = False
        self._lost_detail: str | None = None
        self._lost_problem: RegistrationProblem | None = None

    # ----------------------------------------------------------------- observation

    @property
    def policy(self) -> RegistrationPolicy:
        return self._policy

    @property
    def state(self) -> RegistrationState:
        return self._state

    @property
    def current(self) -> CurrentRegistration | None:
        return self._current

    @property
    def lost_connection(self) -> bool:
        return self._lost

    @property
    def status(self) -> RegistrationStatus:
        return RegistrationStatus(
            state=self._state,
            current=self._current,
            last_failure=self._failure,
            next_attempt_at=self._next_attempt_at,
            lost_connection=self._lost,
            message=LOST_CONNECTION_MESSAGE if self._lost else None,
            detail=self._lost_detail if self._lost else None,
            problem=self._lost_problem if self._lost else None,
        )

    @property
    def next_deadline(self) -> float | None:
        """When the machine next needs a `Tick` (None: only events move it)."""
        p = self._policy
        deadlines: list[float | None] = []
        if self._state is RegistrationState.REGISTERED and self._current is not None:
            deadlines += [self._refresh_due, self._current.expires_at]
        elif self._state in (RegistrationState.REGISTERING, RegistrationState.REFRESHING):
            if self._attempt_started_at is not None:
                deadlines.append(self._attempt_started_at + p.attempt_timeout)
            if self._current is not None:
                deadlines.append(self._current.expires_at)
        elif self._state is RegistrationState.RETRYING:
            deadlines.append(self._next_attempt_at)
        elif (
            self._state is RegistrationState.UNREGISTERING
            and self._unregister_started_at is not None
        ):
            deadlines.append(self._unregister_started_at + p.unregister_timeout)
        present = [d for d in deadlines if d is not None]
        return min(present) if present else None

    # ---------------------------------------------------------------------- input

    def handle(self, event: RegistrationEvent, now: float) -> tuple[RegistrationCommand, ...]:
        """Apply one event at time ``now``; returns the commands to carry out, in order.

        Agent commands (`SignIn`, `SignOut`) that make no sense in the current state raise
        `InvalidOperationError`; adapter events that do not fit the state are stale and ignored.
        """
        transition = TRANSITIONS.get((self._state, type(event)))
        if transition is None:
            if isinstance(event, AGENT_COMMANDS):
                verb = "sign in" if isinstance(event, SignIn) else "sign out"
                raise InvalidOperationError(f"Cannot {verb}: the phone is {self._state.value}")
            return ()
        out: list[RegistrationCommand] = []
        transition(self, event, now, out)
        return tuple(out)

    def tick(self, now: float) -> tuple[RegistrationCommand, ...]:
        return self.handle(Tick(), now)

    # ---------------------------------------------------------------- transitions

    def _sign_in(self, event: SignIn, now: float, out: list[RegistrationCommand]) -> None:
        self._consecutive_failures = 0
        self._failure = None
        self._clear_lost(out)
        self._start_attempt(RegisterReason.INITIAL, now, out)

    def _sign_out(self, event: SignOut, now: float, out: list[RegistrationCommand]) -> None:
        self._reset_to(RegistrationState.UNREGISTERING, out)
        self._unregister_started_at = now
        out.append(SendUnregister())

    def _sign_out_locally(self, event: SignOut, now: float, out: list[RegistrationCommand]) -> None:
        """Nothing to unregister: the server refused our credentials."""
        self._reset_to(RegistrationState.SIGNED_OUT, out)

    def _signed_out(
        self, event: RegistrationEvent, now: float, out: list[RegistrationCommand]
    ) -> None:
        """Unregistration finished - or failed, which leaves the binding to expire."""
        self._reset_to(RegistrationState.SIGNED_OUT, out)

    def _attempt_started(
        self, event: RegisterAttemptStarted, now: float, out: list[RegistrationCommand]
    ) -> None:
        self._attempt_started_at = now
        self._next_attempt_at = None
        if self._state is RegistrationState.REGISTERED:
            self._state = RegistrationState.REFRESHING
        elif self._state is RegistrationState.RETRYING:
            self._state = RegistrationState.REGISTERING

    def _succeeded(
        self, event: RegistrationSucceeded, now: float, out: list[RegistrationCommand]
    ) -> None:
        if not event.expiry > 0:
            self._binding_lost(Unregistered(), now, out)
            return
        p = self._policy
        self._current = CurrentRegistration(
            contact_host=event.contact_host,
            contact_port=event.contact_port,
            transport=event.transport,
            server_host=event.server_host,
            expiry=event.expiry,
            registered_at=now,
            expires_at=now + event.expiry,
        )
        # Refresh early enough even if the server granted less than we asked for.
        self._refresh_due = now + min(p.refresh_interval, event.expiry / 2)
        self._state = RegistrationState.REGISTERED
        self._consecutive_failures = 0
        self._failure = None
        self._next_attempt_at = None
        self._attempt_started_at = None
        self._clear_lost(out)

    def _sip_failure(
        self, event: RegistrationFailed, now: float, out: list[RegistrationCommand]
    ) -> None:
        reason = classify_sip_failure(event.sip_code)
        self._fail(RegistrationFailure(reason, event.sip_code, event.reason, now), out)

    def _transport_failure(
        self, event: TransportFailed, now: float, out: list[RegistrationCommand]
    ) -> None:
        reason = NETWORK_FAILURES[event.kind]
        self._fail(RegistrationFailure(reason, None, event.detail, now), out)

    def _binding_lost(
        self, event: Unregistered, now: float, out: list[RegistrationCommand]
    ) -> None:
        """The stack says we are no longer registered although we did not sign out."""
        self._current = None
        removed = RegistrationProblem(ProblemCode.REMOVED)
        self._set_lost("The registration was removed", out, removed)
        self._start_attempt(RegisterReason.RETRY, now, out)

    def _ip_changed(
        self, event: IpAddressChanged, now: float, out: list[RegistrationCommand]
    ) -> None:
        """Our contact address is stale: re-register at once, without waiting for backoff."""
        self._consecutive_failures = 0
        self._start_attempt(RegisterReason.IP_CHANGE, now, out)

    def _tick_registered(self, event: Tick, now: float, out: list[RegistrationCommand]) -> None:
        if self._refresh_due is not None and now >= self._refresh_due:
            self._start_attempt(RegisterReason.REFRESH, now, out)
            self._tick_attempt(event, now, out)

    def _tick_attempt(self, event: Tick, now: float, out: list[RegistrationCommand]) -> None:
        p = self._policy
        started = self._attempt_started_at
        if started is not None and now >= started + p.attempt_timeout:
            text = f"no answer within {p.attempt_timeout:g} s"
            failure = RegistrationFailure(FailureReason.TIMEOUT, None, text, now, p.attempt_timeout)
            self._fail(failure, out)
        elif self._current is not None and now >= self._current.expires_at:
            self._current = None
            self._state = RegistrationState.REGISTERING
            self._set_lost(
                f"No successful registration refresh within {p.expiry:g} s "
                "(the SIP server does not answer)",
                out,
                RegistrationProblem(ProblemCode.REFRESH_MISSED, seconds=p.expiry),
            )

    def _tick_retrying(self, event: Tick, now: float, out: list[RegistrationCommand]) -> None:
        if self._next_attempt_at is not None and now >= self._next_attempt_at:
            self._start_attempt(RegisterReason.RETRY, now, out)

    def _tick_unregistering(self, event: Tick, now: float, out: list[RegistrationCommand]) -> None:
        started = self._unregister_started_at
        if started is not None and now >= started + self._policy.unregister_timeout:
            self._reset_to(RegistrationState.SIGNED_OUT, out)

    # -------------------------------------------------------------------- helpers

    def _start_attempt(
        self, reason: RegisterReason, now: float, out: list[RegistrationCommand]
    ) -> None:
        registered = self._state.is_registered and self._current is not None
        self._state = RegistrationState.REFRESHING if registered else RegistrationState.REGISTERING
        self._attempt_started_at = now
        self._next_attempt_at = None
        out.append(SendRegister(reason))

    def _fail(self, failure: RegistrationFailure, out: list[RegistrationCommand]) -> None:
        self._failure = failure
        self._current = None
        self._attempt_started_at = None
        self._consecutive_failures += 1
        detail = describe_failure(failure.reason, failure.sip_code, failure.text)
        if failure.retries:
            delay = self.retry_delay(failure.reason, self._consecutive_failures)
            self._next_attempt_at = failure.at + delay
            self._state = RegistrationState.RETRYING
            out.append(ScheduleRetry(self._next_attempt_at, self._consecutive_failures + 1))
        else:
            self._next_attempt_at = None
            self._state = RegistrationState.FAILED
            detail += "; sign in again with the correct password"
        self._set_lost(detail, out, RegistrationProblem(ProblemCode.FAILED, failure))

    def retry_delay(self, reason: FailureReason, failures: int) -> float:
        """Seconds before the next attempt after ``failures`` consecutive failures."""
        p = self._policy
        cap = p.retry_max_delay if reason in FAST_RETRY_REASONS else p.rejected_retry_max_delay
        base = min(p.retry_initial_delay * 2.0 ** min(max(failures, 1) - 1, 32), cap)
        if p.jitter == 0.0:
            return base
        fraction = min(max(self._random(), 0.0), 1.0)
        return base * (1.0 - p.jitter * fraction)

    def _set_lost(
        self, detail: str, out: list[RegistrationCommand], problem: RegistrationProblem
    ) -> None:
        self._lost_detail = detail
        self._lost_problem = problem
        if not self._lost:
            self._lost = True
            out.append(ShowLostConnection(LOST_CONNECTION_MESSAGE, detail))

    def _clear_lost(self, out: list[RegistrationCommand]) -> None:
        self._lost_detail = None
        self._lost_problem = None
        if self._lost:
            self._lost = False
            out.append(ClearLostConnection())

    def _reset_to(self, state: RegistrationState, out: list[RegistrationCommand]) -> None:
        """Leave the signed-in states: no binding, no timers, nothing lost."""
        self._state = state
        self._current = None
        self._next_attempt_at = None
        self._attempt_started_at = None
        self._refresh_due = None
        self._unregister_started_at = None
        self._clear_lost(out)


_Transition = Callable[[RegistrationMachine, Any, float, list[RegistrationCommand]], None]
_S = RegistrationState
_M = RegistrationMachine


def _while_registering(tick: _Transition) -> dict[type[RegistrationEvent], _Transition]:
    return {
        SignOut: _M._sign_out,
        RegisterAttemptStarted: _M._attempt_started,
        RegistrationSucceeded: _M._succeeded,
        RegistrationFailed: _M._sip_failure,
        TransportFailed: _M._transport_failure,
        IpAddressChanged: _M._ip_changed,
        Tick: tick,
    }


TRANSITIONS: Mapping[tuple[RegistrationState, type[RegistrationEvent]], _Transition] = (
    MappingProxyType(
        {
            (_S.SIGNED_OUT, SignIn): _M._sign_in,
            **{(_S.REGISTERING, e): t for e, t in _while_registering(_M._tick_attempt).items()},
            **{(_S.REGISTERED, e): t for e, t in _while_registering(_M._tick_registered).items()},
            (_S.REGISTERED, Unregistered): _M._binding_lost,
            **{(_S.REFRESHING, e): t for e, t in _while_registering(_M._tick_attempt).items()},
            (_S.REFRESHING, Unregistered): _M._binding_lost,
            (_S.RETRYING, SignOut): _M._sign_out,
            (_S.RETRYING, RegisterAttemptStarted): _M._attempt_started,
            (_S.RETRYING, RegistrationSucceeded): _M._succeeded,
            (_S.RETRYING, IpAddressChanged): _M._ip_changed,
            (_S.RETRYING, Tick): _M._tick_retrying,
            (_S.FAILED, SignIn): _M._sign_in,
            (_S.FAILED, SignOut): _M._sign_out_locally,
            (_S.UNREGISTERING, Unregistered): _M._signed_out,
            (_S.UNREGISTERING, RegistrationFailed): _M._signed_out,
            (_S.UNREGISTERING, TransportFailed): _M._signed_out,
            (_S.UNREGISTERING, Tick): _M._tick_unregistering,
        }
    )
)
"""(state, event type) -> transition: the whole registration behaviour in one place. Agent
commands missing here raise `InvalidOperationError`; other missing pairs are ignored."""
