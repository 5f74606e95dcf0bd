"""What wakes the SIP pump: pjsip's own sockets and its timer heap (no periodic polling).

The endpoint runs with ``threadCnt = 0``: pjsip does nothing unless the Qt thread calls
``libHandleEvents``. Polling on a fixed period either costs CPU (10 ms: ~0.9 % of a core) or
delays an incoming INVITE (250 ms). Instead the pump waits for exactly two things:

* **pjsip's sockets** become readable: `OwnSocketScanner` finds their file descriptors and the
  pump puts a ``QSocketNotifier`` on each. pjlib here uses the ``select`` ioqueue (no epoll fd
  to watch), and pjsua2 does not expose descriptors, so on Linux this process's sockets are
  listed in ``/proc/self/fd`` and each is asked its addresses (``getsockname``,
  ``getpeername``): UDP sockets and TCP listeners on the local ports of pjsip's transports,
  the connections accepted on those ports, and TCP/TLS connections to the SIP server /
  outbound proxy addresses the engine declares. (`SocketScanner` reads the same from
  ``/proc/net/{udp,udp6,tcp,tcp6}`` instead; that walks the whole machine's tables, ~5 ms of
  the GUI thread per rescan with 2,400 TCP sockets on the machine, against well under 1 ms
  for asking this process's few dozen sockets.) Other sockets of the process (httpx's, for
  example) are never watched, and nothing here reads from any socket: pjsip reads its own in
  ``libHandleEvents``. The scan is repeated when transports or
  connections change (transport state callbacks) and on the pump's slow fallback tick.
* **pjsip's next timer** (retransmissions, keep-alives, registration refresh): read from the
  endpoint's timer heap with ``pj_timer_heap_earliest_time`` (`TimerHeap`).

Where neither works (no ``/proc``, a symbol missing), `SocketScanner.scan` returns None and the
pump falls back to periodic polling.
"""

from __future__ import annotations

import contextlib
import ctypes
import ipaddress
import logging
import os
import socket
import sys
from collections.abc import Callable, Container, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

PROC_NET = Path("/proc/net")
PROC_FDS = Path("/proc/self/fd")
TCP_LISTEN = 0x0A


@dataclass(frozen=True)
class SocketEntry:
    """One line of ``/proc/net/{udp,tcp}[6]``."""

    protocol: str
    """"udp" or "tcp"."""
    local: tuple[str, int]
    remote: tuple[str, int]
    state: int
    inode: int


def _parse_address(text: str) -> tuple[str, int]:
    """``0100007F:13C4`` (IPv4) or the 32-hex-digit IPv6 form -> ("127.0.0.1", 5060)."""
    host_hex, _, port_hex = text.partition(":")
    raw = bytes.fromhex(host_hex)
    # The kernel prints each 32-bit word in host byte order (little-endian here).
    if sys.byteorder == "little":
        raw = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
    address = ipaddress.ip_address(raw)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return str(address), int(port_hex, 16)


def read_proc_net(
    root: Path = PROC_NET,
    protocols: frozenset[str] = frozenset({"udp", "tcp"}),
    inodes: Container[int] | None = None,
) -> list[SocketEntry]:
    """The sockets of the given protocols (only those with one of ``inodes`` when given).
    Reading ``tcp``/``tcp6`` walks the kernel's whole TCP hash tables: ~4 ms each on the
    2-core test machine, against ~0.07 ms for ``udp``. Lines of other processes' sockets are
    skipped before their addresses are parsed: with 2,400 TCP sockets on the machine, parsing
    every line cost ~20 ms of the Qt thread per rescan (bench/ui_bench.py, sign-in)."""
    entries: list[SocketEntry] = []
    for name, protocol in (("udp", "udp"), ("udp6", "udp"), ("tcp", "tcp"), ("tcp6", "tcp")):
        if protocol not in protocols:
            continue
        try:
            lines = (root / name).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) < 10:
                continue
            try:
                if inodes is not None and int(fields[9]) not in inodes:
                    continue
                entries.append(
                    SocketEntry(
                        protocol=protocol,
                        local=_parse_address(fields[1]),
                        remote=_parse_address(fields[2]),
                        state=int(fields[3], 16),
                        inode=int(fields[9]),
                    )
                )
            except ValueError:
                continue
    return entries


def socket_inodes(fd_dir: Path = PROC_FDS) -> dict[int, int]:
    """Socket inode -> file descriptor for this process."""
    out: dict[int, int] = {}
    try:
        names = os.listdir(fd_dir)
    except OSError:
        return out
    for name in names:
        with contextlib.suppress(OSError, ValueError):
            target = os.readlink(fd_dir / name)
            if target.startswith("socket:["):
                out[int(target[8:-1])] = int(name)
    return out


@dataclass(frozen=True)
class SipSockets:
    """What identifies pjsip's sockets."""

    udp_ports: frozenset[int]
    tcp_ports: frozenset[int]
    """Local ports of the TCP and TLS listeners (accepted connections share them)."""
    peers: frozenset[tuple[str, int]]
    """Remote (address, port) of SIP servers/proxies pjsip connects to over TCP/TLS."""


def select_fds(
    wanted: SipSockets, entries: Iterable[SocketEntry], inodes: dict[int, int]
) -> frozenset[int]:
    fds: set[int] = set()
    for entry in entries:
        fd = inodes.get(entry.inode)
        if fd is None:
            continue
        if entry.protocol == "udp":
            if entry.local[1] in wanted.udp_ports:
                fds.add(fd)
        elif entry.local[1] in wanted.tcp_ports or (
            entry.state != TCP_LISTEN and entry.remote in wanted.peers
        ):
            fds.add(fd)
    return frozenset(fds)


class SocketScanner:
    """Finds pjsip's socket descriptors (Linux); None where that is not possible."""

    def __init__(self, proc_net: Path = PROC_NET, fd_dir: Path = PROC_FDS) -> None:
        self._proc_net = proc_net
        self._fd_dir = fd_dir
        self.supported = sys.platform.startswith("linux") and proc_net.is_dir()

    def scan(self, wanted: SipSockets) -> frozenset[int] | None:
        if not self.supported:
            return None
        protocols = set()
        if wanted.udp_ports:
            protocols.add("udp")
        if wanted.tcp_ports or wanted.peers:
            protocols.add("tcp")
        if not protocols:
            return frozenset()
        inodes = socket_inodes(self._fd_dir)
        # A UDP-only client never reads the TCP tables (~8 ms of the Qt thread per rescan).
        entries = read_proc_net(self._proc_net, frozenset(protocols), inodes)
        return select_fds(wanted, entries, inodes)

    def socket_inode_set(self) -> frozenset[int]:
        """The inodes of this process's sockets (cheap check whether a rescan is needed)."""
        return frozenset(socket_inodes(self._fd_dir))


def _normalise(host: str) -> str:
    """An address as `_parse_address` gives it (IPv4-mapped IPv6 as IPv4, no scope id)."""
    address = ipaddress.ip_address(host.partition("%")[0])
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return str(address)


def describe_socket(fd: int, inode: int) -> SocketEntry | None:
    """This process's socket ``fd`` as its ``/proc/net`` line would describe it, asked of the
    socket itself (None: not an IPv4/IPv6 UDP or TCP socket, or gone meanwhile). Works on a
    duplicate of the descriptor, closed at once: pjsip's socket is never touched."""
    try:
        dup = os.dup(fd)
    except OSError:
        return None
    try:
        sock = socket.socket(fileno=dup)
    except OSError:
        os.close(dup)
        return None
    with sock:
        if sock.family not in (socket.AF_INET, socket.AF_INET6):
            return None
        if sock.type == socket.SOCK_DGRAM:
            protocol = "udp"
        elif sock.type == socket.SOCK_STREAM:
            protocol = "tcp"
        else:
            return None
        try:
            host, port = sock.getsockname()[:2]
            local = (_normalise(host), int(port))
            state = 0
            if protocol == "tcp" and sock.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN):
                state = TCP_LISTEN
            try:
                peer_host, peer_port = sock.getpeername()[:2]
                remote = (_normalise(peer_host), int(peer_port))
            except OSError:  # not connected: a UDP socket, a listener
                remote = ("0.0.0.0", 0)
        except (OSError, ValueError):
            return None
    return SocketEntry(protocol=protocol, local=local, remote=remote, state=state, inode=inode)


class OwnSocketScanner(SocketScanner):
    """`SocketScanner` without ``/proc/net``: each of this process's sockets is asked its
    addresses. The machine's other sockets cost nothing (reading ``/proc/net/tcp`` makes the
    kernel walk its whole TCP hash tables, ~4 ms a table with 2,400 sockets on the machine,
    plus the lines to split: the largest part of a rescan on the GUI thread)."""

    def scan(self, wanted: SipSockets) -> frozenset[int] | None:
        if not self.supported:
            return None
        if not (wanted.udp_ports or wanted.tcp_ports or wanted.peers):
            return frozenset()
        inodes = socket_inodes(self._fd_dir)
        entries = [
            entry
            for inode, fd in inodes.items()
            if (entry := describe_socket(fd, inode)) is not None
        ]
        return select_fds(wanted, entries, inodes)


LocalPorts = Callable[[], tuple[frozenset[int], frozenset[int]] | None]
"""(UDP ports, TCP/TLS ports) pjsip's transports listen on; None when that is unknown."""


class SocketWatch:
    """Which of this process's descriptors are pjsip's, rescanned only when they may have
    changed: a transport came or went (`changed`), the SIP peers changed, or the periodic
    `check_sockets` saw the process's set of sockets change."""

    def __init__(self, local_ports: LocalPorts, scanner: SocketScanner | None = None) -> None:
        self._local_ports = local_ports
        self._scanner = scanner or OwnSocketScanner()
        self._generation = 0
        self._watched: tuple[int, frozenset[int] | None] = (-1, None)
        self._socket_inodes: frozenset[int] = frozenset()
        self._sip_peers: dict[str, frozenset[tuple[str, int]]] = {}

    @property
    def generation(self) -> int:
        """Changes whenever the set of pjsip's sockets may have changed."""
        return self._generation

    def changed(self) -> None:
        self._generation += 1

    def set_sip_peers(self, owner: str, peers: Iterable[tuple[str, int]]) -> None:
        """Addresses of the SIP servers/proxies one engine talks to over TCP/TLS."""
        wanted = frozenset(peers)
        if self._sip_peers.get(owner) != wanted:
            if wanted:
                self._sip_peers[owner] = wanted
            else:
                self._sip_peers.pop(owner, None)
            self.changed()

    def check_sockets(self) -> None:
        """Cheap periodic check: a new generation if this process's sockets changed."""
        if not self._scanner.supported:
            return
        inodes = self._scanner.socket_inode_set()
        if inodes != self._socket_inodes:
            self._socket_inodes = inodes
            self.changed()

    def watched_fds(self) -> frozenset[int] | None:
        """pjsip's socket descriptors (None: not available; poll instead)."""
        generation, fds = self._watched
        if generation == self._generation:
            return fds
        ports = self._local_ports()
        if ports is None:
            fds = None
        else:
            peers = frozenset().union(*self._sip_peers.values()) if self._sip_peers else frozenset()
            try:
                fds = self._scanner.scan(SipSockets(ports[0], ports[1], peers))
            except OSError:
                fds = None
        self._watched = (self._generation, fds)
        return fds


class TimeVal(ctypes.Structure):
    """pjlib's ``pj_time_val``."""

    _fields_ = [("sec", ctypes.c_long), ("msec", ctypes.c_long)]


class TimerHeap:
    """pjsip's timer heap: seconds until its earliest timer (None: empty or unavailable)."""

    def __init__(self, library_path: str) -> None:
        self._heap: Any = None
        try:
            lib = ctypes.CDLL(library_path)
            lib.pjsua_get_pjsip_endpt.restype = ctypes.c_void_p
            lib.pjsip_endpt_get_timer_heap.restype = ctypes.c_void_p
            lib.pjsip_endpt_get_timer_heap.argtypes = [ctypes.c_void_p]
            lib.pj_timer_heap_earliest_time.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
            lib.pj_gettickcount.argtypes = [ctypes.c_void_p]
            endpt = lib.pjsua_get_pjsip_endpt()
            heap = lib.pjsip_endpt_get_timer_heap(endpt) if endpt else None
        except (OSError, AttributeError) as error:
            log.info("pjsip timer heap not reachable (%s): polling periodically", error)
            return
        self._lib = lib
        self._heap = heap
        self._earliest = TimeVal()
        self._now = TimeVal()

    @property
    def available(self) -> bool:
        return bool(self._heap)

    def next_in(self) -> float | None:
        if not self._heap:
            return None
        if self._lib.pj_timer_heap_earliest_time(self._heap, ctypes.byref(self._earliest)) != 0:
            return None
        self._lib.pj_gettickcount(ctypes.byref(self._now))
        earliest, now = self._earliest, self._now
        delta = (earliest.sec - now.sec) + (earliest.msec - now.msec) / 1000.0
        return max(0.0, float(delta))

    def close(self) -> None:
        self._heap = None
