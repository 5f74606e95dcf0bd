"""Which rtnetlink messages are network changes for the phone (`communicator.ui.netlink`),
on messages built as the kernel lays them out."""

from __future__ import annotations

import socket
import struct

from communicator.ui import netlink as nl


def attr(kind: int, value: bytes) -> bytes:
    raw = struct.pack("=HH", 4 + len(value), kind) + value
    return raw + b"\0" * (-len(raw) % 4)


def address(family: int, index: int, text: str, *, flags: int = 0) -> bytes:
    packed = socket.inet_pton(family, text)
    header = nl.IFADDRMSG.pack(family, 32, flags & 0xFF, 0, index)
    return header + attr(nl.IFA_LOCAL, packed) + attr(nl.IFA_FLAGS, struct.pack("=I", flags))


def default_route(
    gateway: str, oif: int, *, table: int = nl.RT_TABLE_MAIN, dst_len: int = 0
) -> bytes:
    header = nl.RTMSG.pack(socket.AF_INET, dst_len, 0, 0, table, 3, 0, nl.RTN_UNICAST, 0)
    return (
        header
        + attr(nl.RTA_TABLE, struct.pack("=I", table))
        + attr(nl.RTA_GATEWAY, socket.inet_aton(gateway))
        + attr(nl.RTA_OIF, struct.pack("=I", oif))
    )


def link(index: int, flags: int) -> bytes:
    return nl.IFINFOMSG.pack(socket.AF_UNSPEC, 1, index, flags, 0xFFFFFFFF)


def test_addresses_count_once_and_only_when_usable() -> None:
    state = nl.NetworkState()
    v6 = address(socket.AF_INET6, 2, "2001:db8::5", flags=nl.IFA_F_TENTATIVE)
    assert state.apply(nl.RTM_NEWADDR, v6) is None  # duplicate address detection still runs
    ready = address(socket.AF_INET6, 2, "2001:db8::5")
    change = state.apply(nl.RTM_NEWADDR, ready)
    assert change is not None and "2001:db8::5" in change.what
    assert state.apply(nl.RTM_NEWADDR, ready) is None  # a lifetime refresh (router advert)
    v4 = address(socket.AF_INET, 2, "10.1.2.3")
    assert state.apply(nl.RTM_NEWADDR, v4) is not None
    removed = state.apply(nl.RTM_DELADDR, v4)
    assert removed is not None and removed.what == "address removed 10.1.2.3 on 2"
    assert state.apply(nl.RTM_DELADDR, v4) is None


def test_only_the_main_tables_default_routes_count() -> None:
    state = nl.NetworkState()
    assert state.apply(nl.RTM_NEWROUTE, default_route("10.0.0.1", 2, table=255)) is None
    assert state.apply(nl.RTM_NEWROUTE, default_route("10.0.0.1", 2, dst_len=24)) is None
    assert state.apply(nl.RTM_NEWROUTE, default_route("10.0.0.1", 2)) is not None
    assert state.apply(nl.RTM_NEWROUTE, default_route("10.0.0.1", 2)) is None
    assert state.apply(nl.RTM_NEWROUTE, default_route("192.168.1.1", 3)) is not None  # new uplink
    assert state.apply(nl.RTM_DELROUTE, default_route("10.0.0.1", 2)) is not None


def test_a_carrier_that_returns_is_a_change_other_link_news_is_not() -> None:
    state = nl.NetworkState()
    assert state.apply(nl.RTM_NEWLINK, link(5, 1)) is None  # a container's veth: no address
    assert state.apply(nl.RTM_NEWLINK, link(5, nl.IFF_RUNNING | 1)) is None
    assert state.apply(nl.RTM_NEWLINK, link(3, nl.IFF_RUNNING | 1)) is None  # first news
    assert state.apply(nl.RTM_NEWADDR, address(socket.AF_INET, 3, "10.9.8.7")) is not None
    assert state.apply(nl.RTM_NEWROUTE, default_route("10.9.8.1", 3)) is not None  # the uplink
    assert state.apply(nl.RTM_NEWLINK, link(3, nl.IFF_RUNNING | 1)) is None  # same carrier
    down = state.apply(nl.RTM_NEWLINK, link(3, 1))
    assert down is not None and down.what == "interface 3 down"
    up = state.apply(nl.RTM_NEWLINK, link(3, nl.IFF_RUNNING | 1))
    assert up is not None and up.what == "interface 3 up"


def test_messages_split_a_buffer_of_several() -> None:
    one = nl.NLMSGHDR.pack(nl.NLMSGHDR.size + 3, nl.RTM_NEWADDR, 0, 7, 0) + b"abc" + b"\0"
    two = nl.NLMSGHDR.pack(nl.NLMSGHDR.size, nl.NLMSG_DONE, 0, 8, 0)
    assert list(nl.messages(one + two)) == [(nl.RTM_NEWADDR, 7, b"abc"), (nl.NLMSG_DONE, 8, b"")]


def scoped_address(family: int, index: int, text: str, scope: int) -> bytes:
    packed = socket.inet_pton(family, text)
    return nl.IFADDRMSG.pack(family, 64, 0, scope, index) + attr(nl.IFA_LOCAL, packed)


def test_a_new_interfaces_link_local_address_is_no_change() -> None:
    # A container's veth (or any interface coming up) gets an fe80:: address of its own: the
    # phone is not reached through it, and re-registering (re-INVITEing every call) for it
    # would disturb the calls each time a container starts.
    state = nl.NetworkState()
    assert state.apply(nl.RTM_NEWLINK, link(7, 1)) is None
    lla = scoped_address(socket.AF_INET6, 7, "fe80::1c2b:3aff:fe4d:5e6f", 253)  # RT_SCOPE_LINK
    assert state.apply(nl.RTM_NEWADDR, lla) is None
    assert state.apply(nl.RTM_NEWLINK, link(7, nl.IFF_RUNNING | 1)) is None
    assert state.apply(nl.RTM_NEWLINK, link(7, 1)) is None  # its carrier is not ours either
    assert state.apply(nl.RTM_DELADDR, lla) is None
    usable = scoped_address(socket.AF_INET6, 7, "2001:db8::7", 0)  # scope global
    assert state.apply(nl.RTM_NEWADDR, usable) is not None


def test_a_new_ipv6_privacy_address_is_no_change() -> None:
    # The kernel makes a new temporary (privacy) address every day or so while the network
    # stays the same (the stable address stays): re-registering and re-INVITEing each call for
    # it would disturb the agent for nothing.
    state = nl.NetworkState()
    stable = address(socket.AF_INET6, 2, "2001:db8::1c2b:3aff:fe4d:5e6f")
    assert state.apply(nl.RTM_NEWADDR, stable) is not None
    temporary = address(socket.AF_INET6, 2, "2001:db8::9d41:7e3a:c2f0:11b8", flags=0x01)
    assert state.apply(nl.RTM_NEWADDR, temporary) is None  # IFA_F_TEMPORARY
    assert state.apply(nl.RTM_DELADDR, temporary) is None
    # IPv4's flag of the same value (IFA_F_SECONDARY) is a real address: it counts.
    secondary = address(socket.AF_INET, 2, "10.1.2.4", flags=0x01)
    assert state.apply(nl.RTM_NEWADDR, secondary) is not None


def test_a_local_bridge_getting_its_first_port_is_no_change() -> None:
    # docker0 (or virbr0) has an address but leads nowhere beyond this machine: its carrier
    # comes up with the first container started and goes with the last one stopped.
    state = nl.NetworkState()
    assert state.apply(nl.RTM_NEWLINK, link(4, 1)) is None
    assert state.apply(nl.RTM_NEWADDR, address(socket.AF_INET, 4, "172.17.0.1")) is not None
    assert state.apply(nl.RTM_NEWLINK, link(4, nl.IFF_RUNNING | 1)) is None
    assert state.apply(nl.RTM_NEWLINK, link(4, 1)) is None
