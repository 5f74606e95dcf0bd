"""What wakes the SIP pump: pjsip's sockets found in /proc, its timer heap, the idle plan."""

from __future__ import annotations

import contextlib
import dataclasses
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from communicator.sip.polling import PollHint
from communicator.sip.wakeup import (
    TCP_LISTEN,
    SipSockets,
    SocketEntry,
    SocketScanner,
    _parse_address,
    read_proc_net,
    select_fds,
)
from communicator.ui.pump import PollPlan, Pump, PumpPolicy, plan_next_poll
from tests.rig.kamailio import KamailioServer
from tests.sip.helpers import TEST_CODECS, make_profile

HEADER = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid ...\n"


def _line(local: str, remote: str, state: int, inode: int) -> str:
    return (
        f"   0: {local} {remote} {state:02X} 00000000:00000000 00:00000000 00000000     0"
        f"        0 {inode} 2 0000000000000000 0\n"
    )


def test_proc_net_addresses_are_parsed() -> None:
    assert _parse_address("0100007F:13C4") == ("127.0.0.1", 5060)
    assert _parse_address("00000000000000000000000001000000:13C5") == ("::1", 5061)
    assert _parse_address("0000000000000000FFFF00000100007F:0050") == ("127.0.0.1", 80)


def test_only_pjsips_sockets_are_selected(tmp_path: Path) -> None:
    (tmp_path / "udp").write_text(
        HEADER
        + _line("0100007F:13C4", "00000000:0000", 7, 11)  # our UDP transport
        + _line("0100007F:0035", "00000000:0000", 7, 12)  # someone's DNS socket
    )
    (tmp_path / "tcp").write_text(
        HEADER
        + _line("0100007F:13C5", "00000000:0000", TCP_LISTEN, 21)  # our listener
        + _line("0100007F:9C40", "0100007F:2710", 1, 22)  # our connection to the proxy
        + _line("0100007F:9C41", "0100007F:01BB", 1, 23)  # someone's HTTPS connection
        + _line("0100007F:13C5", "0100007F:9C42", 1, 24)  # accepted on our listener
    )
    entries = read_proc_net(tmp_path)
    assert {e.inode for e in entries} == {11, 12, 21, 22, 23, 24}
    inodes = {11: 5, 12: 6, 21: 7, 22: 8, 23: 9, 24: 10}
    wanted = SipSockets(frozenset({5060}), frozenset({5061}), frozenset({("127.0.0.1", 10000)}))
    assert select_fds(wanted, entries, inodes) == frozenset({5, 7, 8, 10})
    # Only this process's sockets are parsed (other processes' lines are skipped unparsed).
    ours = {11: 5, 21: 7, 22: 8, 24: 10}
    assert {e.inode for e in read_proc_net(tmp_path, inodes=ours)} == {11, 21, 22, 24}


def test_a_udp_only_scan_leaves_the_tcp_tables_alone(tmp_path: Path) -> None:
    # /proc/net/tcp{,6} cost ~4 ms each to read (the kernel walks its TCP hash tables).
    (tmp_path / "udp").write_text(HEADER + _line("0100007F:13C4", "00000000:0000", 7, 11))
    (tmp_path / "tcp").write_text(HEADER + _line("0100007F:13C5", "00000000:0000", TCP_LISTEN, 21))
    assert {e.inode for e in read_proc_net(tmp_path, frozenset({"udp"}))} == {11}
    fds = tmp_path / "fd"
    fds.mkdir()
    (fds / "5").symlink_to("socket:[11]")
    (fds / "7").symlink_to("socket:[21]")
    scanner = SocketScanner(proc_net=tmp_path, fd_dir=fds)
    scanner.supported = True
    read: list[frozenset[str]] = []
    original = read_proc_net

    def spy(
        root: Path, protocols: frozenset[str] = frozenset({"udp", "tcp"}), inodes: Any = None
    ) -> Any:
        read.append(protocols)
        return original(root, protocols, inodes)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("communicator.sip.wakeup.read_proc_net", spy)
        udp_only = SipSockets(frozenset({5060}), frozenset(), frozenset())
        both = SipSockets(frozenset({5060}), frozenset({5061}), frozenset())
        assert scanner.scan(udp_only) == frozenset({5})
        assert scanner.scan(both) == frozenset({5, 7})
        assert scanner.scan(SipSockets(frozenset(), frozenset(), frozenset())) == frozenset()
    assert read == [frozenset({"udp"}), frozenset({"udp", "tcp"})]


def test_scanner_finds_a_socket_of_this_process() -> None:
    scanner = SocketScanner()
    if not scanner.supported:
        pytest.skip("no /proc/net here")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        found = scanner.scan(SipSockets(frozenset({port}), frozenset(), frozenset()))
        assert found == frozenset({sock.fileno()})
        other = scanner.scan(SipSockets(frozenset(), frozenset(), frozenset()))
        assert other == frozenset()


def test_watched_pumpsleeps_long_but_not_past_a_deadline() -> None:
    policy = PumpPolicy()
    idle = plan_next_poll(
        events=0, hint=PollHint(), since_activity=60.0, policy=policy, watching=True
    )
    assert idle == PollPlan(policy.watched_idle_interval, 0)
    timer = plan_next_poll(
        events=0,
        hint=PollHint(next_deadline_in=0.3),
        since_activity=60.0,
        policy=policy,
        watching=True,
    )
    assert timer == PollPlan(0.3, 0)
    unwatched = plan_next_poll(events=0, hint=PollHint(), since_activity=60.0, policy=policy)
    assert unwatched == PollPlan(policy.idle_interval, 0)


def test_endpoint_watches_its_sip_sockets_and_knows_its_next_timer(sip_endpoint: Any) -> None:
    fds = sip_endpoint.watched_fds()
    if fds is None:
        pytest.skip("socket discovery is not available here")
    tid = sip_endpoint.transport_id("udp")
    port = sip_endpoint.transport_address(tid).port
    fds = sip_endpoint.watched_fds()
    assert fds
    (entry,) = [e for e in read_proc_net() if e.protocol == "udp" and e.local[1] == port]
    assert isinstance(entry, SocketEntry)
    assert {fd for fd in fds if _inode(fd) == entry.inode}
    assert sip_endpoint.knows_next_timer


def _inode(fd: int) -> int | None:
    import os

    target = os.readlink(f"/proc/self/fd/{fd}")
    return int(target[8:-1]) if target.startswith("socket:[") else None


@contextlib.contextmanager
def only_sockets_wake(endpoint: Any) -> Iterator[Pump]:
    """Replace the session pump by one that polls only when a watched socket is readable:
    no idle tick, no timer deadlines (engine's or pjsip's), no linger."""
    main = endpoint.pump
    main.stop()

    def poll(block_ms: int) -> tuple[int, PollHint]:
        events, hint = endpoint.poll(block_ms)
        return events, dataclasses.replace(hint, next_deadline_in=None)

    policy = PumpPolicy(idle_interval=3600, watched_idle_interval=3600, linger=0.001)
    pump = Pump(poll, policy, sockets=endpoint)
    endpoint.wakeup = pump.kick
    pump.start()
    try:
        yield pump
    finally:
        pump.stop()
        endpoint.wakeup = main.kick
        main.start()
        pump.deleteLater()


@pytest.mark.rig
@pytest.mark.timeout(60)
def test_an_incoming_invite_wakes_the_idle_pump(
    sip_endpoint: Any,
    engine_factory: Any,
    kamailio: KamailioServer,
    peer_factory: Any,
    qtbot: Any,
) -> None:
    """The INVITE is handled because pjsip's socket woke the pump: nothing else polls."""
    from communicator.core.calls import CallState
    from communicator.core.registration import RegistrationState

    engine = engine_factory()
    engine.apply_profile(make_profile(kamailio, "1006"))
    engine.sign_in()
    qtbot.waitUntil(lambda: engine.registration.state is RegistrationState.REGISTERED, timeout=5000)
    caller = peer_factory("caller", account="1007", codecs=TEST_CODECS)
    with only_sockets_wake(sip_endpoint) as pump:
        qtbot.waitUntil(lambda: pump.polls > 0 and pump.settled, timeout=5000)
        if not pump.watching:
            pytest.skip("socket discovery is not available here")
        # Not caller.call(): that blocks this thread (and so the Qt loop) until the peer's
        # ack; the INVITE must arrive while the pump sleeps.
        caller.send("call", uri=kamailio.aor("1006"))
        qtbot.waitUntil(
            lambda: any(
                c is not None and c.state is CallState.RINGING_IN for c in engine.state.lines
            ),
            timeout=5000,
        )
        assert pump.socket_wakeups > 0, pump.describe_watch()


class _CountingSockets:
    """A SocketSource that counts how often the pump asks it about descriptors."""

    def __init__(self) -> None:
        self.watch_generation = 0
        self.scans = 0
        self.checks = 0

    def watched_fds(self) -> frozenset[int] | None:
        self.scans += 1
        return frozenset()

    def check_sockets(self) -> None:
        self.checks += 1


def test_a_busy_pump_leaves_the_socket_scans_for_later(qtbot: Any) -> None:
    # While a transaction is hot the pump polls again at once: scanning /proc for pjsip's
    # descriptors (up to ~1 ms on a busy host) would only delay the answer being waited for.
    hints = [PollHint(hot=True)] * 3 + [PollHint()]
    clock = [100.0]
    sockets = _CountingSockets()
    seen: list[tuple[int, int]] = []  # (scans, checks) as each poll starts

    def poll(block_ms: int) -> tuple[int, PollHint]:
        seen.append((sockets.scans, sockets.checks))
        clock[0] += 10.0  # past the periodic socket check every time
        return 0, hints.pop(0) if hints else PollHint()

    # After the fourth poll the pump sleeps for an hour: no fifth poll during the test.
    policy = PumpPolicy(idle_interval=3600)
    pump = Pump(poll, policy, clock=lambda: clock[0], sockets=sockets)
    sockets.watch_generation = 1  # something changed: a rescan is due
    pump.start()
    try:
        qtbot.waitUntil(lambda: pump.polls == 4 and pump.settled, timeout=5000)
    finally:
        pump.stop()
    assert seen == [(0, 0)] * 4  # three hot polls: no scan before any of them
    # The fourth was no longer hot: about to sleep, so the notifiers were brought up to date.
    assert (sockets.scans, sockets.checks) == (1, 1)


class _OneSocket:
    """A SocketSource watching one real UDP socket, which the test closes under the pump."""

    def __init__(self) -> None:
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.socket.bind(("127.0.0.1", 0))
        self.watch_generation = 0
        self.fd = self.socket.fileno()

    def watched_fds(self) -> frozenset[int] | None:
        return frozenset() if self.socket.fileno() < 0 else frozenset({self.fd})

    def check_sockets(self) -> None:
        pass


@pytest.mark.parametrize("announced", [True, False], ids=["announced", "unannounced"])
def test_a_socket_closed_under_the_pump_is_not_watched_any_more(
    qtbot: Any, announced: bool
) -> None:
    # handleIpChange closes pjsip's listener and opens a new one; a notifier left on the closed
    # descriptor makes Qt warn "QSocketNotifier: Invalid socket" (a failure under pytest-qt)
    # and disable it. The pump must let go of it before the event loop polls again, whether
    # the change was announced (a new watch generation) or not.
    source = _OneSocket()
    pump = Pump(lambda _block: (0, PollHint()), PumpPolicy(idle_interval=3600), sockets=source)
    pump.start()
    try:
        qtbot.waitUntil(lambda: pump.watched_fds == {source.fd}, timeout=5000)
        polls = pump.polls
        source.socket.close()
        if announced:
            source.watch_generation += 1
        pump.kick()
        assert source.fd not in pump.watched_fds
        qtbot.waitUntil(lambda: pump.polls > polls, timeout=5000)
        assert source.fd not in pump.watched_fds
    finally:
        pump.stop()
