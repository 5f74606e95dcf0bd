from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest

from communicator.core.errors import InvalidOperationError
from communicator.core.registration import (
    LOST_CONNECTION_MESSAGE,
    TRANSITIONS,
    ClearLostConnection,
    CurrentRegistration,
    FailureReason,
    IpAddressChanged,
    NetworkErrorKind,
    RegisterAttemptStarted,
    RegisterReason,
    RegistrationCommand,
    RegistrationEvent,
    RegistrationFailed,
    RegistrationMachine,
    RegistrationPolicy,
    RegistrationState,
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
    classify_sip_failure,
)
from tests.core.registration_sim import DownMode, RegistrationSim

S = RegistrationState
OK = RegistrationSucceeded(
    expiry=30, contact_host="192.0.2.10", contact_port=5062, transport="TLS", server_host="pbx"
)


def machine_in(state: RegistrationState) -> tuple[RegistrationMachine, float]:
    """A machine driven into ``state`` with real events; returns it and the current time."""
    m = RegistrationMachine()
    if state is S.SIGNED_OUT:
        return m, 0.0
    m.handle(SignIn(), 0.0)
    if state is S.REGISTERING:
        return m, 0.0
    if state is S.RETRYING:
        m.handle(TransportFailed(NetworkErrorKind.CONNECT), 0.1)
        return m, 0.1
    if state is S.FAILED:
        m.handle(RegistrationFailed(403, "Forbidden"), 0.1)
        return m, 0.1
    m.handle(OK, 0.1)
    if state is S.REGISTERED:
        return m, 0.1
    if state is S.REFRESHING:
        m.tick(15.1)
        return m, 15.1
    if state is S.UNREGISTERING:
        m.handle(SignOut(), 1.0)
        return m, 1.0
    raise ValueError(state)


EVENTS: dict[type[RegistrationEvent], RegistrationEvent] = {
    SignIn: SignIn(),
    SignOut: SignOut(),
    RegisterAttemptStarted: RegisterAttemptStarted(),
    RegistrationSucceeded: OK,
    RegistrationFailed: RegistrationFailed(503, "Service Unavailable"),
    TransportFailed: TransportFailed(NetworkErrorKind.CONNECT, "refused"),
    Unregistered: Unregistered(),
    IpAddressChanged: IpAddressChanged(),
    Tick: Tick(),
}

# (state, event) -> (next state, commands the transition emits, in order)
EXPECTED: dict[tuple[RegistrationState, type[RegistrationEvent]], tuple[S, tuple[type, ...]]] = {
    (S.SIGNED_OUT, SignIn): (S.REGISTERING, (SendRegister,)),
    (S.REGISTERING, SignOut): (S.UNREGISTERING, (SendUnregister,)),
    (S.REGISTERING, RegisterAttemptStarted): (S.REGISTERING, ()),
    (S.REGISTERING, RegistrationSucceeded): (S.REGISTERED, ()),
    (S.REGISTERING, RegistrationFailed): (S.RETRYING, (ScheduleRetry, ShowLostConnection)),
    (S.REGISTERING, TransportFailed): (S.RETRYING, (ScheduleRetry, ShowLostConnection)),
    (S.REGISTERING, IpAddressChanged): (S.REGISTERING, (SendRegister,)),
    (S.REGISTERING, Tick): (S.RETRYING, (ScheduleRetry, ShowLostConnection)),
    (S.REGISTERED, SignOut): (S.UNREGISTERING, (SendUnregister,)),
    (S.REGISTERED, RegisterAttemptStarted): (S.REFRESHING, ()),
    (S.REGISTERED, RegistrationSucceeded): (S.REGISTERED, ()),
    (S.REGISTERED, RegistrationFailed): (S.RETRYING, (ScheduleRetry, ShowLostConnection)),
    (S.REGISTERED, TransportFailed): (S.RETRYING, (ScheduleRetry, ShowLostConnection)),
    (S.REGISTERED, Unregistered): (S.REGISTERING, (ShowLostConnection, SendRegister)),
    (S.REGISTERED, IpAddressChanged): (S.REFRESHING, (SendRegister,)),
    (S.REGISTERED, Tick): (S.REFRESHING, (SendRegister,)),
    (S.REFRESHING, SignOut): (S.UNREGISTERING, (SendUnregister,)),
    (S.REFRESHING, RegisterAttemptStarted): (S.REFRESHING, ()),
    (S.REFRESHING, RegistrationSucceeded): (S.REGISTERED, ()),
    (S.REFRESHING, RegistrationFailed): (S.RETRYING, (ScheduleRetry, ShowLostConnection)),
    (S.REFRESHING, TransportFailed): (S.RETRYING, (ScheduleRetry, ShowLostConnection)),
    (S.REFRESHING, Unregistered): (S.REGISTERING, (ShowLostConnection, SendRegister)),
    (S.REFRESHING, IpAddressChanged): (S.REFRESHING, (SendRegister,)),
    (S.REFRESHING, Tick): (S.RETRYING, (ScheduleRetry, ShowLostConnection)),
    (S.RETRYING, SignOut): (S.UNREGISTERING, (SendUnregister, ClearLostConnection)),
    (S.RETRYING, RegisterAttemptStarted): (S.REGISTERING, ()),
    (S.RETRYING, RegistrationSucceeded): (S.REGISTERED, (ClearLostConnection,)),
    (S.RETRYING, IpAddressChanged): (S.REGISTERING, (SendRegister,)),
    (S.RETRYING, Tick): (S.REGISTERING, (SendRegister,)),
    (S.FAILED, SignIn): (S.REGISTERING, (ClearLostConnection, SendRegister)),
    (S.FAILED, SignOut): (S.SIGNED_OUT, (ClearLostConnection,)),
    (S.UNREGISTERING, Unregistered): (S.SIGNED_OUT, ()),
    (S.UNREGISTERING, RegistrationFailed): (S.SIGNED_OUT, ()),
    (S.UNREGISTERING, TransportFailed): (S.SIGNED_OUT, ()),
    (S.UNREGISTERING, Tick): (S.SIGNED_OUT, ()),
}


def test_the_expected_table_covers_every_transition() -> None:
    assert set(EXPECTED) == set(TRANSITIONS)


@pytest.mark.parametrize(("state", "event_type"), sorted(EXPECTED, key=str))
def test_transition(state: RegistrationState, event_type: type[RegistrationEvent]) -> None:
    m, now = machine_in(state)
    assert m.state is state
    if event_type is Tick:
        deadline = m.next_deadline
        assert deadline is not None, "a tick transition needs a deadline to fire"
        now = deadline
    commands = m.handle(EVENTS[event_type], now)
    expected_state, expected_commands = EXPECTED[(state, event_type)]
    assert m.state is expected_state
    # SignOut commands are emitted in either order; compare the multiset where that matters
    assert sorted(type(c).__name__ for c in commands) == sorted(
        t.__name__ for t in expected_commands
    )


UNLISTED = [
    (state, event_type)
    for state in RegistrationState
    for event_type in EVENTS
    if (state, event_type) not in TRANSITIONS
]


@pytest.mark.parametrize(("state", "event_type"), UNLISTED)
def test_other_events_are_refused_or_ignored_without_change(
    state: RegistrationState, event_type: type[RegistrationEvent]
) -> None:
    m, now = machine_in(state)
    before = m.status
    if event_type in (SignIn, SignOut):
        with pytest.raises(InvalidOperationError, match="Cannot sign"):
            m.handle(EVENTS[event_type], now + 0.5)
    else:
        assert m.handle(EVENTS[event_type], now + 0.5) == ()
    assert m.status == before


def test_non_tick_deadline_ticks_change_nothing() -> None:
    m, _ = machine_in(S.REGISTERED)
    before = m.status
    assert m.tick(5.0) == ()
    assert m.status == before


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        (401, FailureReason.BAD_CREDENTIALS),
        (403, FailureReason.BAD_CREDENTIALS),
        (407, FailureReason.BAD_CREDENTIALS),
        (408, FailureReason.TIMEOUT),
        (500, FailureReason.UNREACHABLE),
        (502, FailureReason.UNREACHABLE),
        (503, FailureReason.UNREACHABLE),
        (504, FailureReason.UNREACHABLE),
        (404, FailureReason.REJECTED),
        (423, FailureReason.REJECTED),
        (488, FailureReason.REJECTED),
        (606, FailureReason.REJECTED),
    ],
)
def test_sip_failures_are_classified(code: int, reason: FailureReason) -> None:
    assert classify_sip_failure(code) is reason
    m, _ = machine_in(S.REGISTERING)
    m.handle(RegistrationFailed(code, "x"), 1.0)
    assert m.status.last_failure is not None
    assert m.status.last_failure.reason is reason


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        (NetworkErrorKind.DNS, FailureReason.DNS_FAILURE),
        (NetworkErrorKind.TLS, FailureReason.TLS_FAILURE),
        (NetworkErrorKind.CONNECT, FailureReason.UNREACHABLE),
        (NetworkErrorKind.TIMEOUT, FailureReason.TIMEOUT),
        (NetworkErrorKind.NETWORK_DOWN, FailureReason.UNREACHABLE),
    ],
)
def test_transport_failures_are_classified(kind: NetworkErrorKind, reason: FailureReason) -> None:
    m, _ = machine_in(S.REGISTERING)
    m.handle(TransportFailed(kind, "detail"), 1.0)
    assert m.status.last_failure is not None
    assert m.status.last_failure.reason is reason
    assert m.state is S.RETRYING


def test_current_registration_shows_address_port_expiry_and_server() -> None:
    m = RegistrationMachine()
    m.handle(SignIn(), 100.0)
    m.handle(OK, 100.2)
    assert m.current == CurrentRegistration(
        contact_host="192.0.2.10",
        contact_port=5062,
        transport="TLS",
        server_host="pbx",
        expiry=30,
        registered_at=100.2,
        expires_at=130.2,
    )
    assert m.status.state.is_registered
    assert m.next_deadline == pytest.approx(115.2)


def test_refresh_every_interval_keeps_the_registration_without_any_message() -> None:
    sim = RegistrationSim(RegistrationMachine())
    sim.send(SignIn())
    sim.run_until(120.0)
    refreshes = [
        t for t, c in sim.log if isinstance(c, SendRegister) and c.reason is RegisterReason.REFRESH
    ]
    # every refresh_interval after the previous success (which came one rtt after the send)
    assert len(refreshes) == 7
    assert refreshes[0] == pytest.approx(15.05)
    assert all(b - a == pytest.approx(15.05) for a, b in itertools.pairwise(refreshes))
    assert sim.times_of(ShowLostConnection) == []
    assert sim.machine.state.is_registered


def test_a_shorter_granted_expiry_is_refreshed_at_half_of_it() -> None:
    m = RegistrationMachine()
    m.handle(SignIn(), 0.0)
    m.handle(
        RegistrationSucceeded(
            expiry=10, contact_host="h", contact_port=1, transport="UDP", server_host="s"
        ),
        0.0,
    )
    assert m.next_deadline == 5.0
    assert m.tick(5.0) == (SendRegister(RegisterReason.REFRESH),)


def test_a_zero_expiry_success_counts_as_a_lost_binding() -> None:
    m, _ = machine_in(S.REGISTERED)
    commands = m.handle(
        RegistrationSucceeded(
            expiry=0, contact_host="h", contact_port=1, transport="UDP", server_host="s"
        ),
        2.0,
    )
    assert m.state is S.REGISTERING
    assert SendRegister(RegisterReason.RETRY) in commands


@pytest.mark.parametrize("mode", list(DownMode))
@pytest.mark.parametrize("outage_start", [0.5, 7.0, 14.9, 15.05, 15.2, 29.0])
@pytest.mark.parametrize(
    "policy",
    [
        RegistrationPolicy(),
        RegistrationPolicy(attempt_timeout=60.0),  # only the expiry check can catch it
        RegistrationPolicy(refresh_interval=50.0, expiry=60.0),
    ],
    ids=["defaults", "long-attempt-timeout", "60s-expiry"],
)
def test_lost_connection_is_shown_within_expiry_of_the_last_success(
    mode: DownMode, outage_start: float, policy: RegistrationPolicy
) -> None:
    sim = RegistrationSim(RegistrationMachine(policy), down_mode=mode, granted_expiry=policy.expiry)
    sim.send(SignIn())
    sim.set_reachable_at(outage_start, False)
    sim.run_until(outage_start + 3 * policy.expiry)
    shown = sim.times_of(ShowLostConnection)
    assert len(shown) == 1, "the message is shown once, not per failed attempt"
    successes_before = [t for t, s in sim.states if s is S.REGISTERED and t <= shown[0]]
    last_success = successes_before[-1]
    assert shown[0] <= last_success + policy.expiry
    (command,) = [c for _, c in sim.log if isinstance(c, ShowLostConnection)]
    assert command.message == LOST_CONNECTION_MESSAGE
    assert sim.machine.status.message == LOST_CONNECTION_MESSAGE
    assert sim.machine.status.detail
    assert sim.machine.current is None
    assert sim.times_of(ClearLostConnection) == []


@pytest.mark.parametrize("down_at", [3.0, 15.0, 22.5])
@pytest.mark.parametrize("outage", [0.2, 1.0, 2.5, 4.0, 7.3, 31.0, 300.0, 3600.0])
def test_registers_again_within_5_s_after_the_server_is_back(down_at: float, outage: float) -> None:
    sim = RegistrationSim(RegistrationMachine(), down_mode=DownMode.FAST)
    sim.send(SignIn())
    sim.set_reachable_at(down_at, False)
    back = down_at + outage
    sim.set_reachable_at(back, True)
    sim.run_until(back + 60.0)
    # From back + 5 s on, the phone is registered (or refreshing a valid registration).
    state_at_deadline = [s for t, s in sim.states if t <= back + 5.0][-1]
    assert state_at_deadline.is_registered
    assert all(s.is_registered for t, s in sim.states if t > back + 5.0)
    if outage > 30.0:
        assert sim.times_of(ShowLostConnection), "an outage longer than expiry is noticed"
    if sim.times_of(ShowLostConnection):
        (cleared,) = sim.times_of(ClearLostConnection)
        assert cleared <= back + 5.0
    assert not sim.machine.lost_connection


def test_backoff_doubles_and_is_capped_at_4_s_while_unreachable() -> None:
    sim = RegistrationSim(RegistrationMachine(), down_mode=DownMode.FAST, rtt=0.0)
    sim.reachable = False
    sim.send(SignIn())
    sim.run_until(40.0)
    retries = [c.at for _, c in sim.log if isinstance(c, ScheduleRetry)]
    attempts = sim.times_of(SendRegister)
    gaps = [b - a for a, b in itertools.pairwise(attempts)]
    assert gaps[:5] == pytest.approx([1.0, 2.0, 4.0, 4.0, 4.0])
    assert max(gaps) <= 4.0
    assert retries[:3] == pytest.approx([1.0, 3.0, 7.0])


def test_definitive_rejections_back_off_slower_to_a_larger_cap() -> None:
    m = RegistrationMachine()
    delays = [m.retry_delay(FailureReason.REJECTED, n) for n in range(1, 10)]
    assert delays == [1, 2, 4, 8, 16, 32, 60, 60, 60]
    assert m.retry_delay(FailureReason.TLS_FAILURE, 9) == 60
    assert [m.retry_delay(FailureReason.DNS_FAILURE, n) for n in (1, 2, 3, 50)] == [1, 2, 4, 4]


@pytest.mark.parametrize("draw", [0.0, 0.3, 1.0])
def test_jitter_only_shortens_delays(draw: float) -> None:
    m = RegistrationMachine(RegistrationPolicy(jitter=0.5), random=lambda: draw)
    for n in range(1, 8):
        delay = m.retry_delay(FailureReason.UNREACHABLE, n)
        assert 0 < delay <= min(2 ** (n - 1), 4.0)
        assert delay == pytest.approx(min(2 ** (n - 1), 4.0) * (1 - 0.5 * draw))


@pytest.mark.parametrize("code", [401, 403, 407])
def test_bad_credentials_stop_retrying(code: int) -> None:
    sim = RegistrationSim(RegistrationMachine())
    sim.send(SignIn())
    sim.run_until(10.0)
    sim.send(RegistrationFailed(code, "Forbidden"))
    registers_before = len(sim.times_of(SendRegister))
    sim.run_until(3600.0)
    sim.send(IpAddressChanged())
    assert len(sim.times_of(SendRegister)) == registers_before
    assert sim.machine.status.state is S.FAILED
    assert sim.machine.next_deadline is None
    assert sim.times_of(ScheduleRetry) == []
    status = sim.machine.status
    assert status.lost_connection
    assert status.detail is not None
    assert "password" in status.detail
    # a new sign-in (after the password was changed) starts again
    sim.send(SignIn())
    sim.run_until(3601.0)
    assert sim.machine.state is S.REGISTERED
    assert not sim.machine.lost_connection


@pytest.mark.parametrize(
    "setup",
    [
        lambda m: None,
        lambda m: m.handle(RegisterAttemptStarted(), 5.0),
        lambda m: m.handle(TransportFailed(NetworkErrorKind.CONNECT), 5.0),
    ],
    ids=["registered", "refreshing", "retrying"],
)
def test_ip_change_re_registers_immediately(setup: Callable[[RegistrationMachine], object]) -> None:
    m, _ = machine_in(S.REGISTERED)
    for _ in range(3):
        m.handle(TransportFailed(NetworkErrorKind.NETWORK_DOWN), 1.0)
    setup(m)
    assert m.handle(IpAddressChanged(), 6.0) == (SendRegister(RegisterReason.IP_CHANGE),)
    # and the backoff starts again from the beginning
    m.handle(TransportFailed(NetworkErrorKind.CONNECT), 6.1)
    assert m.status.next_attempt_at == pytest.approx(7.1)


@pytest.mark.parametrize("state", [S.SIGNED_OUT, S.FAILED, S.UNREGISTERING])
def test_ip_change_is_ignored_when_not_signed_in(state: RegistrationState) -> None:
    m, now = machine_in(state)
    assert m.handle(IpAddressChanged(), now) == ()


def test_sign_out_unregisters_and_clears_everything() -> None:
    sim = RegistrationSim(RegistrationMachine())
    sim.send(SignIn())
    sim.run_until(5.0)
    assert sim.send(SignOut()) == (SendUnregister(),)
    sim.run_until(6.0)
    assert sim.machine.state is S.SIGNED_OUT
    assert sim.machine.next_deadline is None
    assert sim.machine.current is None
    sim.run_until(600.0)
    assert sim.times_of(SendRegister) == [0.0]


def test_sign_out_gives_up_waiting_for_an_unreachable_server() -> None:
    m, _ = machine_in(S.REGISTERED)
    m.handle(SignOut(), 1.0)
    assert m.next_deadline == 6.0
    assert m.tick(5.9) == ()
    m.tick(6.0)
    assert m.state is S.SIGNED_OUT


def test_lost_message_while_retrying_is_cleared_by_sign_out() -> None:
    m, _ = machine_in(S.RETRYING)
    assert m.lost_connection
    commands = m.handle(SignOut(), 1.0)
    assert ClearLostConnection() in commands
    assert not m.lost_connection


def test_an_unanswered_attempt_times_out_and_is_retried() -> None:
    m = RegistrationMachine(RegistrationPolicy(attempt_timeout=8.0))
    m.handle(SignIn(), 0.0)
    assert m.next_deadline == 8.0
    commands = m.tick(8.0)
    assert [type(c) for c in commands] == [ScheduleRetry, ShowLostConnection]
    assert m.status.last_failure is not None
    assert m.status.last_failure.reason is FailureReason.TIMEOUT
    assert m.tick(9.0) == (SendRegister(RegisterReason.RETRY),)


def test_pjsua_driven_refreshes_are_followed() -> None:
    """If the adapter lets pjsua2 refresh by itself, onRegStarted/onRegState still fit."""
    m, _ = machine_in(S.REGISTERED)
    m.handle(RegisterAttemptStarted(), 10.0)
    assert m.status.state is S.REFRESHING
    assert m.status.current is not None
    m.handle(OK, 10.1)
    assert m.state is S.REGISTERED
    assert m.current is not None
    assert m.current.expires_at == pytest.approx(40.1)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"refresh_interval": 0},
        {"expiry": -1},
        {"refresh_interval": 30, "expiry": 30},
        {"retry_max_delay": 0},
        {"attempt_timeout": 0},
        {"jitter": 1.0},
        {"jitter": -0.1},
    ],
)
def test_bad_policies_are_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        RegistrationPolicy(**kwargs)


def test_commands_are_values() -> None:
    a: RegistrationCommand = SendRegister(RegisterReason.INITIAL)
    assert a == SendRegister(RegisterReason.INITIAL)
    assert hash(a) == hash(SendRegister(RegisterReason.INITIAL))
