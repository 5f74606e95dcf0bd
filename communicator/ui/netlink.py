"""Linux's rtnetlink: which network changes matter to a SIP phone, without polling.

A ``NETLINK_ROUTE`` socket subscribed to the link, address and route groups receives one
message per change as the kernel makes it (pure Python, no dependency). `NetworkState` keeps
what the phone's reachability depends on and says whether a message changed it:

* the usable addresses (an address added or removed; an IPv6 address counts once its duplicate
  address detection is over, i.e. no longer *tentative*; the lifetime refreshes that router
  advertisements bring re-announce an address that is already known and change nothing;
  link-local addresses, which every interface that comes up gets, are not usable, and IPv6
  privacy addresses come and go on a timer beside a stable one: neither counts);
* the default routes of the main table (gateway, interface, metric): a new uplink;
* whether each interface with a default route is running (carrier): a cable plugged back or
  Wi-Fi reassociated keeps its address but the registration may have lapsed meanwhile (a
  container's veth, a bridge port, or a local bridge such as docker0 getting its first
  container is not a change: it leads nowhere beyond this machine).

Routes of other tables (the ``local`` routes each address brings), statistics-only link
messages and repeated announcements are not changes. The state starts from a dump of the
current links, addresses and routes (`NetlinkSocket.open` does it before any event is read),
so only what happens afterwards counts. When the kernel drops messages because the socket's
buffer was full (``ENOBUFS``), something changed and we cannot know what: that counts as a
change, and the state is taken again from fresh dumps (else an address whose news was lost
would not count when it goes, nor one lost and back when it returns).

`NetlinkSocket` is non-blocking: its owner reads `NetlinkSocket.read` when the descriptor is
readable (`communicator.ui.network_watch` uses a `QSocketNotifier`).
"""

from __future__ import annotations

import errno
import ipaddress
import logging
import os
import select
import socket
import struct
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")

NETLINK_ROUTE = 0
RTMGRP_LINK = 0x1
RTMGRP_IPV4_IFADDR = 0x10
RTMGRP_IPV4_ROUTE = 0x40
RTMGRP_IPV6_IFADDR = 0x100
RTMGRP_IPV6_ROUTE = 0x400
GROUPS = (
    RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_IFADDR | RTMGRP_IPV6_ROUTE
)

NLMSG_ERROR = 2
NLMSG_DONE = 3
NLM_F_REQUEST = 0x1
NLM_F_DUMP = 0x300
RTM_NEWLINK, RTM_DELLINK, RTM_GETLINK = 16, 17, 18
RTM_NEWADDR, RTM_DELADDR, RTM_GETADDR = 20, 21, 22
RTM_NEWROUTE, RTM_DELROUTE, RTM_GETROUTE = 24, 25, 26

IFA_ADDRESS, IFA_LOCAL, IFA_FLAGS = 1, 2, 8
IFA_F_TENTATIVE = 0x40
IFA_F_TEMPORARY = 0x01
"""IPv6: a privacy address, regenerated on a timer while the network stays the same (the same
bit is IPv4's IFA_F_SECONDARY, a real address)."""
RT_SCOPE_LINK = 253
"""An address valid only on its link (IPv6 ``fe80::``, IPv4 ``169.254``): every interface
that comes up gets one (a container's veth, a bridge), and no registrar is reached through it."""
RTA_OIF, RTA_GATEWAY, RTA_PRIORITY, RTA_TABLE = 4, 5, 6, 15
RT_TABLE_MAIN = 254
RTN_UNICAST = 1
IFF_RUNNING = 0x40

NLMSGHDR = struct.Struct("=LHHLL")
IFINFOMSG = struct.Struct("=BxHiII")
IFADDRMSG = struct.Struct("=BBBBI")
RTMSG = struct.Struct("=BBBBBBBBI")
RTATTR = struct.Struct("=HH")
RECV_BYTES = 65536
DUMP_TIMEOUT_S = 2.0


@dataclass(frozen=True)
class NetworkChange:
    """What changed, in words for the log (``address added 127.0.0.5 on 1``)."""

    what: str


def _align(n: int) -> int:
    return (n + 3) & ~3


def messages(data: bytes) -> Iterator[tuple[int, int, bytes]]:
    """(type, sequence number, payload) of each netlink message in ``data``."""
    offset = 0
    while offset + NLMSGHDR.size <= len(data):
        length, kind, _flags, seq, _pid = NLMSGHDR.unpack_from(data, offset)
        if length < NLMSGHDR.size or offset + length > len(data):
            break
        yield kind, seq, data[offset + NLMSGHDR.size : offset + length]
        offset += _align(length)


def attributes(payload: bytes, offset: int) -> dict[int, bytes]:
    """The route attributes after a fixed header of ``offset`` bytes (first of each type)."""
    found: dict[int, bytes] = {}
    while offset + RTATTR.size <= len(payload):
        length, kind = RTATTR.unpack_from(payload, offset)
        if length < RTATTR.size or offset + length > len(payload):
            break
        found.setdefault(kind, payload[offset + RTATTR.size : offset + length])
        offset += _align(length)
    return found


def _u32(raw: bytes | None, default: T) -> int | T:
    return int(struct.unpack("=I", raw)[0]) if raw is not None and len(raw) == 4 else default


def _address(family: int, raw: bytes | None) -> str | None:
    if raw is None:
        return None
    if family == socket.AF_INET and len(raw) == 4:
        return str(ipaddress.IPv4Address(raw))
    if family == socket.AF_INET6 and len(raw) == 16:
        return str(ipaddress.IPv6Address(raw))
    return raw.hex()


class NetworkState:
    """Addresses, default routes and running links; `apply` says what a message changed."""

    def __init__(self) -> None:
        self.addresses: set[tuple[int, str]] = set()
        """(interface index, address) of the usable addresses."""
        self.default_routes: set[tuple[int, str | None, int | None, int | None]] = set()
        """(family, gateway, interface index, metric) of the main table's default routes."""
        self.running: dict[int, bool] = {}
        """Interface index -> carrier (IFF_RUNNING)."""

    def apply(self, kind: int, payload: bytes) -> NetworkChange | None:
        if kind in (RTM_NEWADDR, RTM_DELADDR):
            return self._address(kind, payload)
        if kind in (RTM_NEWROUTE, RTM_DELROUTE):
            return self._route(kind, payload)
        if kind in (RTM_NEWLINK, RTM_DELLINK):
            return self._link(kind, payload)
        return None

    def _address(self, kind: int, payload: bytes) -> NetworkChange | None:
        if len(payload) < IFADDRMSG.size:
            return None
        family, _prefix, flags8, scope, index = IFADDRMSG.unpack_from(payload)
        if scope == RT_SCOPE_LINK:
            return None
        attrs = attributes(payload, IFADDRMSG.size)
        flags = (
            struct.unpack("=I", attrs[IFA_FLAGS])[0]
            if len(attrs.get(IFA_FLAGS, b"")) == 4
            else flags8
        )
        if family == socket.AF_INET6 and flags & IFA_F_TEMPORARY:
            return None
        address = _address(family, attrs.get(IFA_LOCAL) or attrs.get(IFA_ADDRESS))
        if address is None:
            return None
        key = (index, address)
        if kind == RTM_NEWADDR and not flags & IFA_F_TENTATIVE:
            if key in self.addresses:
                return None
            self.addresses.add(key)
            return NetworkChange(f"address added {address} on {index}")
        if key in self.addresses:  # removed, or tentative again (a duplicate was found)
            self.addresses.discard(key)
            return NetworkChange(f"address removed {address} on {index}")
        return None

    def _route(self, kind: int, payload: bytes) -> NetworkChange | None:
        if len(payload) < RTMSG.size:
            return None
        family, dst_len, _src, _tos, table, _proto, _scope, rtype, _flags = RTMSG.unpack_from(
            payload
        )
        attrs = attributes(payload, RTMSG.size)
        table = _u32(attrs.get(RTA_TABLE), table)
        if dst_len != 0 or table != RT_TABLE_MAIN or rtype != RTN_UNICAST:
            return None
        oif = _u32(attrs.get(RTA_OIF), None)
        metric = _u32(attrs.get(RTA_PRIORITY), None)
        key = (family, _address(family, attrs.get(RTA_GATEWAY)), oif, metric)
        if kind == RTM_NEWROUTE:
            if key in self.default_routes:
                return None
            self.default_routes.add(key)
            return NetworkChange(f"default route added via {key[1]} on {oif}")
        if key in self.default_routes:
            self.default_routes.discard(key)
            return NetworkChange(f"default route removed via {key[1]} on {oif}")
        return None

    def _link(self, kind: int, payload: bytes) -> NetworkChange | None:
        if len(payload) < IFINFOMSG.size:
            return None
        _family, _type, index, flags, _change = IFINFOMSG.unpack_from(payload)
        if kind == RTM_DELLINK:
            was = self.running.pop(index, None)
            return NetworkChange(f"interface {index} removed") if was else None
        running = bool(flags & IFF_RUNNING)
        was = self.running.get(index)
        self.running[index] = running
        if was is None or was == running or not self._carries_traffic(index):
            # A new interface says nothing until it runs; the carrier of one without a
            # default route (a container's veth, a bridge port, docker0 getting its first
            # container) is not ours.
            return None
        return NetworkChange(f"interface {index} {'up' if running else 'down'}")

    def _carries_traffic(self, index: int) -> bool:
        # The uplink: the kernel keeps a default route when the carrier goes (marked
        # linkdown); one removed meanwhile comes back as a route change anyway.
        return any(oif == index for _, _, oif, _ in self.default_routes)


class NetlinkSocket:
    """The subscribed rtnetlink socket and the state it maintains."""

    def __init__(self) -> None:
        self.state = NetworkState()
        self._sock: socket.socket | None = None
        self._seq = int(time.monotonic()) & 0xFFFF

    def open(self) -> int:
        """Subscribe, take the current state (dumps), return the descriptor to watch.
        Raises OSError where netlink is not available (not Linux, a sandbox)."""
        sock = socket.socket(
            socket.AF_NETLINK, socket.SOCK_RAW | socket.SOCK_CLOEXEC, NETLINK_ROUTE
        )
        try:
            sock.bind((0, GROUPS))
            self._dump_all(sock, self.state)
            sock.setblocking(False)
        except BaseException:
            sock.close()
            raise
        self._sock = sock
        return sock.fileno()

    def _dump_all(self, sock: socket.socket, state: NetworkState) -> None:
        for request in (RTM_GETLINK, RTM_GETADDR, RTM_GETROUTE):
            self._dump(sock, request, state)

    @staticmethod
    def _drain(sock: socket.socket) -> None:
        while True:
            try:
                sock.recv(RECV_BYTES)
            except BlockingIOError:
                return
            except OSError as error:
                if error.errno != errno.ENOBUFS:
                    raise

    def _resync(self) -> None:
        """The state again from dumps on a socket of its own (the subscribed one may still
        hold news from before, which then changes nothing)."""
        state = NetworkState()
        try:
            with socket.socket(
                socket.AF_NETLINK, socket.SOCK_RAW | socket.SOCK_CLOEXEC, NETLINK_ROUTE
            ) as sock:
                sock.bind((0, 0))
                self._dump_all(sock, state)
        except OSError as error:
            log.warning("network state not re-read after lost messages: %s", error)
            return
        self.state = state

    def _dump(self, sock: socket.socket, request: int, state: NetworkState) -> None:
        self._seq += 1
        seq = self._seq
        body = struct.pack("=Bxxx", socket.AF_UNSPEC)  # rtgenmsg, padded
        header = NLMSGHDR.pack(
            NLMSGHDR.size + len(body), request, NLM_F_REQUEST | NLM_F_DUMP, seq, 0
        )
        sock.sendall(header + body)
        deadline = time.monotonic() + DUMP_TIMEOUT_S
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([sock], [], [], remaining)[0]:
                raise OSError(errno.ETIMEDOUT, "no answer to a netlink dump")
            for kind, got, payload in messages(sock.recv(RECV_BYTES)):
                if kind == NLMSG_DONE and got == seq:
                    return
                if kind == NLMSG_ERROR and got == seq:
                    code = -struct.unpack_from("=i", payload)[0] if len(payload) >= 4 else 0
                    if code:
                        raise OSError(code, os.strerror(code))
                    return
                state.apply(kind, payload)  # dump entries, or events meanwhile

    def read(self) -> list[NetworkChange]:
        """Every change in the messages waiting now (never blocks)."""
        sock = self._sock
        if sock is None:
            return []
        changes: list[NetworkChange] = []
        while True:
            try:
                data = sock.recv(RECV_BYTES)
            except BlockingIOError:
                return changes
            except OSError as error:
                if error.errno == errno.ENOBUFS:  # messages were dropped: assume a change
                    changes.append(NetworkChange("netlink messages dropped"))
                    self._drain(sock)  # older than what the dumps will say
                    self._resync()
                    continue
                raise
            for kind, _seq, payload in messages(data):
                change = self.state.apply(kind, payload)
                if change is not None:
                    changes.append(change)

    def close(self) -> None:
        sock, self._sock = self._sock, None
        if sock is not None:
            sock.close()
