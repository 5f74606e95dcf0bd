"""The socket rescan asks this process's own sockets their addresses instead of reading the
machine's /proc/net tables: it must find exactly what the /proc/net reading finds, and leave
the sockets it asks working."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from communicator.sip.wakeup import (
    TCP_LISTEN,
    OwnSocketScanner,
    SipSockets,
    SocketScanner,
    describe_socket,
    socket_inodes,
)


@pytest.fixture
def sockets() -> Iterator[dict[str, socket.socket]]:
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    client = socket.create_connection(listener.getsockname())
    accepted, _ = listener.accept()
    other = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # not pjsip's: never selected
    other.bind(("127.0.0.1", 0))
    made = {"udp": udp, "listener": listener, "client": client, "accepted": accepted}
    try:
        yield {**made, "other": other}
    finally:
        for sock in (*made.values(), other):
            sock.close()


def test_own_sockets_are_found_as_proc_net_finds_them(sockets: dict[str, socket.socket]) -> None:
    proc = SocketScanner()
    if not proc.supported:
        pytest.skip("no /proc here")
    udp, listener = sockets["udp"], sockets["listener"]
    wanted = SipSockets(
        udp_ports=frozenset({udp.getsockname()[1]}),
        tcp_ports=frozenset({listener.getsockname()[1]}),
        peers=frozenset({("127.0.0.1", listener.getsockname()[1])}),
    )
    found = OwnSocketScanner().scan(wanted)
    assert found == frozenset(s.fileno() for k, s in sockets.items() if k != "other")
    assert found == proc.scan(wanted)

    # A client that talks TCP to its server only: the connection to the peer, not the rest.
    to_peer = SipSockets(frozenset(), frozenset(), wanted.peers)
    assert OwnSocketScanner().scan(to_peer) == frozenset({sockets["client"].fileno()})
    nothing = SipSockets(frozenset(), frozenset(), frozenset())
    assert OwnSocketScanner().scan(nothing) == frozenset()


def test_a_socket_describes_itself_and_keeps_working(sockets: dict[str, socket.socket]) -> None:
    inode_of = {fd: inode for inode, fd in socket_inodes().items()}
    listener, client = sockets["listener"], sockets["client"]
    entry = describe_socket(listener.fileno(), inode_of[listener.fileno()])
    assert entry is not None
    assert (entry.protocol, entry.local, entry.state) == ("tcp", listener.getsockname(), TCP_LISTEN)
    entry = describe_socket(client.fileno(), inode_of[client.fileno()])
    assert entry is not None and entry.remote == listener.getsockname()
    assert entry.state != TCP_LISTEN
    # Asked through a duplicate: the sockets themselves are still open and usable.
    client.sendall(b"ping")
    assert sockets["accepted"].recv(4) == b"ping"
    udp = sockets["udp"]
    udp.sendto(b"pong", udp.getsockname())
    assert udp.recv(4) == b"pong"


def test_ipv6_mapped_addresses_read_as_ipv4() -> None:
    try:
        sock = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    except OSError:
        pytest.skip("no IPv6 here")
    with sock:
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        try:
            sock.bind(("::ffff:127.0.0.1", 0))
        except OSError:
            pytest.skip("no IPv4-mapped addresses here")
        inode = {fd: i for i, fd in socket_inodes().items()}[sock.fileno()]
        entry = describe_socket(sock.fileno(), inode)
        port = sock.getsockname()[1]
    assert entry is not None and entry.local == ("127.0.0.1", port)


def test_not_an_ip_socket_is_left_out() -> None:
    left, right = socket.socketpair()
    with left, right:
        inode = {fd: i for i, fd in socket_inodes().items()}[left.fileno()]
        assert describe_socket(left.fileno(), inode) is None
