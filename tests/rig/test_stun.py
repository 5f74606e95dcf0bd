"""The STUN probe (unit tests against a fake responder) and the rig's STUN server."""

from __future__ import annotations

import os
import re
import socket
import struct
import threading
from collections.abc import Callable, Iterator

import pytest

from tests.rig.fixtures import PeerFactory
from tests.rig.stun import (
    ATTR_ERROR_CODE,
    ATTR_MAPPED_ADDRESS,
    ATTR_SOFTWARE,
    ATTR_XOR_MAPPED_ADDRESS,
    BINDING_ERROR,
    BINDING_SUCCESS,
    MAGIC_COOKIE,
    StunError,
    StunServer,
    build_binding_request,
    parse_binding_response,
    stun_binding,
)

Responder = Callable[[bytes, tuple[str, int]], bytes | None]


def _attr(kind: int, value: bytes) -> bytes:
    return struct.pack("!HH", kind, len(value)) + value + b"\0" * (-len(value) % 4)


def _mapped(ip: str, port: int) -> bytes:
    return struct.pack("!BBH", 0, 1, port) + socket.inet_aton(ip)


def _xor_mapped(ip: str, port: int) -> bytes:
    (addr,) = struct.unpack("!I", socket.inet_aton(ip))
    return struct.pack("!BBHI", 0, 1, port ^ (MAGIC_COOKIE >> 16), addr ^ MAGIC_COOKIE)


def _message(msg_type: int, tid: bytes, *attrs: bytes) -> bytes:
    body = b"".join(attrs)
    return struct.pack("!HHI", msg_type, len(body), MAGIC_COOKIE) + tid + body


def test_binding_request_format() -> None:
    request, tid = build_binding_request()
    msg_type, length, cookie = struct.unpack("!HHI", request[:8])
    assert (msg_type, length, cookie) == (0x0001, 0, MAGIC_COOKIE)
    assert request[8:] == tid and len(tid) == 12


def test_parse_xor_mapped_address_and_software() -> None:
    tid = os.urandom(12)
    data = _message(
        BINDING_SUCCESS,
        tid,
        _attr(ATTR_XOR_MAPPED_ADDRESS, _xor_mapped("192.0.2.7", 40000)),
        _attr(ATTR_SOFTWARE, b"fake 1.0"),
    )
    response = parse_binding_response(data, tid)
    assert response.xor_mapped_address == ("192.0.2.7", 40000)
    assert response.reflexive_address == ("192.0.2.7", 40000)
    assert response.software == "fake 1.0"


def test_parse_plain_mapped_address() -> None:
    tid = os.urandom(12)
    data = _message(BINDING_SUCCESS, tid, _attr(ATTR_MAPPED_ADDRESS, _mapped("198.51.100.1", 5)))
    response = parse_binding_response(data, tid)
    assert response.xor_mapped_address is None
    assert response.reflexive_address == ("198.51.100.1", 5)


def test_parse_rejects_foreign_transaction_and_error_responses() -> None:
    tid = os.urandom(12)
    ok = _message(BINDING_SUCCESS, tid, _attr(ATTR_MAPPED_ADDRESS, _mapped("127.0.0.1", 1)))
    with pytest.raises(StunError, match="transaction id"):
        parse_binding_response(ok, os.urandom(12))
    error = _message(BINDING_ERROR, tid, _attr(ATTR_ERROR_CODE, b"\0\0\x04\x00Bad Request"))
    with pytest.raises(StunError, match="400 Bad Request"):
        parse_binding_response(error, tid)
    with pytest.raises(StunError, match="too short"):
        parse_binding_response(b"\x01\x01", tid)


@pytest.fixture
def fake_stun() -> Iterator[Callable[[Responder], int]]:
    """A UDP socket on loopback answering with whatever the test's responder returns."""
    sockets: list[socket.socket] = []
    threads: list[threading.Thread] = []
    stop = threading.Event()

    def start(responder: Responder) -> int:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind(("127.0.0.1", 0))
        sockets.append(sock)

        def serve() -> None:
            while True:
                try:
                    data, addr = sock.recvfrom(2048)
                except OSError:
                    return
                if stop.is_set():
                    return
                reply = responder(data, addr)
                if reply is not None:
                    sock.sendto(reply, addr)

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        threads.append(thread)
        return int(sock.getsockname()[1])

    yield start
    stop.set()
    for sock in sockets:  # wake the server threads with one last datagram
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as waker:
            waker.sendto(b"", sock.getsockname())
    for thread in threads:
        thread.join(timeout=2)
    for sock in sockets:
        sock.close()


def test_probe_reads_the_reflexive_address(fake_stun: Callable[[Responder], int]) -> None:
    def reflect(data: bytes, addr: tuple[str, int]) -> bytes:
        tid = data[8:20]
        return _message(BINDING_SUCCESS, tid, _attr(ATTR_XOR_MAPPED_ADDRESS, _xor_mapped(*addr)))

    port = fake_stun(reflect)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        source = s.getsockname()
    response = stun_binding("127.0.0.1", port, timeout=2.0, source=source)
    assert response.reflexive_address == source


def test_probe_retransmits_until_answered(fake_stun: Callable[[Responder], int]) -> None:
    seen: list[bytes] = []

    def answer_second(data: bytes, addr: tuple[str, int]) -> bytes | None:
        seen.append(data)
        if len(seen) < 2:
            return None  # the first request is "lost"
        return _message(BINDING_SUCCESS, data[8:20], _attr(ATTR_MAPPED_ADDRESS, _mapped(*addr)))

    port = fake_stun(answer_second)
    response = stun_binding("127.0.0.1", port, timeout=2.0, retransmit=0.05)
    assert len(seen) >= 2
    assert response.mapped_address is not None


def test_probe_times_out_with_a_clear_error(fake_stun: Callable[[Responder], int]) -> None:
    port = fake_stun(lambda data, addr: None)
    with pytest.raises(StunError, match=rf"no STUN Binding response from 127\.0\.0\.1:{port}"):
        stun_binding("127.0.0.1", port, timeout=0.3, retransmit=0.05)


@pytest.mark.rig
def test_rig_stun_server_answers_binding(stun_server: StunServer) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        source = s.getsockname()
    response = stun_binding(stun_server.host, stun_server.port, timeout=2.0, source=source)
    assert response.reflexive_address == source


@pytest.mark.rig
def test_pjsua2_peer_uses_the_stun_server(
    stun_server: StunServer, peer_factory: PeerFactory
) -> None:
    peer = peer_factory("stun", stun=stun_server.address)

    # pjsua2 ran NAT type detection against the server: it only succeeds if the server answered
    # the peer's Binding requests (with and without CHANGE-REQUEST).
    nat = peer.wait_for("stun", lambda e: e["kind"] == "nat_type", timeout=10)
    assert nat["status"] == 0, nat
    assert nat["nat_type_name"] not in ("Unknown", "Blocked"), nat

    # pjsua2 asked for the mapped address of its SIP UDP transport from that very socket.
    udp_port = int(peer.transports["udp"]["local"].rsplit(":", 1)[1])
    assert peer.transports["udp"]["local_name"] == f"127.0.0.1:{udp_port}"
    if stun_server.implementation == "stund":
        stun_server.process.wait_for_output(
            re.compile(rf"Got a request \(len=\d+\) from 127\.0\.0\.1:{udp_port}\b"), timeout=5
        )
        assert stun_server.requests_from(udp_port) >= 1
