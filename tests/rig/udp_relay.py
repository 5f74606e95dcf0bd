"""A loss-injecting RTP/RTCP relay in front of a far-end peer's media, on loopback.

The peer advertises the relay's address in its SDP (``media_public_address`` = 127.0.0.2, its
RTP bound on 127.0.0.1 at ``media_port``): the client sends RTP and RTCP to the relay's front
sockets (127.0.0.2:port, port+1), which forward them to the peer from two back sockets
(127.0.0.1, consecutive ports). The peer learns the back sockets as the client's address
(pjmedia's symmetric RTP: a stream switches at once to the source of the first packet with the
right SSRC, and after 10 packets from a new source once it has had one from the SDP's address;
RTCP follows RTP), and from then on its RTP and RTCP come back through the relay to the client,
from the address its SDP named. The relay sends the client's first RTP packet to the peer
`PROBATION_BURST` times, for a peer that needs the 10. If the peer's first packet, sent straight
to the client, reaches the client first, the client learns the peer's own address instead and
the media bypasses the relay: `relayed_call` makes such a call again.

RTP from the peer to the client is dropped while `drop_every` is set: every Nth packet of that
direction is not forwarded (counted in `dropped_to_client`); RTP from the client to the peer
while `drop_to_far_every` is set (counted in `dropped_to_far`; the first packet and its
probation copies always pass). The relay runs an asyncio loop on a thread of its own; its
counters are plain ints read by the test.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import threading
from collections.abc import Callable
from typing import Any, TypeVar, cast

from pytestqt.exceptions import TimeoutError as WaitTimeout

from tests.rig.ports import free_ports, release_ports

FRONT_HOST = "127.0.0.2"
BACK_HOST = "127.0.0.1"
PROBATION_BURST = 12
"""Copies of the client's first RTP packet: more than pjmedia's probation count (10)."""

Address = tuple[str, int]
T = TypeVar("T")

RELAYED_PACKETS = 25
"""RTP packets each way (half a second of audio) that show a call's media passes the relay."""


class _Socket(asyncio.DatagramProtocol):
    def __init__(self, on_datagram: Callable[[bytes, Address], None]) -> None:
        self.on_datagram = on_datagram
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self.on_datagram(data, (str(addr[0]), int(addr[1])))

    def send(self, data: bytes, addr: Address) -> None:
        if self.transport is not None:
            self.transport.sendto(data, addr)


def _same(sock: _Socket) -> _Socket:
    return sock


class UdpRelay:
    """Start with `start`; `media_port` is where the peer must bind its RTP (127.0.0.1)."""

    def __init__(self) -> None:
        self.media_port, _ = free_ports(
            2, tcp=False, hosts=(BACK_HOST, FRONT_HOST), consecutive=True
        )
        self._back_ports = free_ports(2, tcp=False, hosts=(BACK_HOST,), consecutive=True)
        self.public_address = FRONT_HOST
        self.drop_every: int | None = None
        """Drop every Nth RTP packet from the peer to the client (None: drop nothing)."""
        self.to_client = 0
        """RTP packets from the peer that reached the relay for the client (sent or dropped)."""
        self.dropped_to_client = 0
        self.to_far = 0
        """RTP packets from the client that reached the relay for the peer (sent or dropped)."""
        self.drop_to_far_every: int | None = None
        """Drop every Nth RTP packet from the client to the peer (None: drop nothing)."""
        self.dropped_to_far = 0
        self._client: list[Address | None] = [None, None]
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._front: list[_Socket] = []
        self._back: list[_Socket] = []

    def __repr__(self) -> str:
        return (
            f"UdpRelay(to_client={self.to_client}, dropped_to_client={self.dropped_to_client}, "
            f"to_far={self.to_far}, dropped_to_far={self.dropped_to_far}, client={self._client})"
        )

    def new_call(self) -> None:
        """Forget the last call: its client addresses (a new call may use other ports, and its
        first packet gets the burst again) and its counts."""
        self._client = [None, None]
        self.to_client = self.dropped_to_client = self.to_far = self.dropped_to_far = 0

    def passes_both_ways(self, packets: int = RELAYED_PACKETS) -> Callable[[], bool]:
        """For a wait: true once ``packets`` more RTP packets have passed each way from now."""
        to_client, to_far = self.to_client, self.to_far
        return lambda: self.to_client >= to_client + packets and self.to_far >= to_far + packets

    def start(self) -> UdpRelay:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._open(), self._loop).result(timeout=5)
        return self

    async def _open(self) -> None:
        for index in (0, 1):
            front = _Socket(functools.partial(self._from_client, index))
            back = _Socket(functools.partial(self._from_far, index))
            await self._loop.create_datagram_endpoint(
                functools.partial(_same, front), local_addr=(FRONT_HOST, self.media_port + index)
            )
            await self._loop.create_datagram_endpoint(
                functools.partial(_same, back), local_addr=(BACK_HOST, self._back_ports[index])
            )
            self._front.append(front)
            self._back.append(back)

    def _from_client(self, index: int, data: bytes, addr: Address) -> None:
        first = self._client[index] is None
        self._client[index] = addr
        target = (BACK_HOST, self.media_port + index)
        copies = PROBATION_BURST if first and index == 0 else 1
        if index == 0:
            self.to_far += 1
            if not first and self.drop_to_far_every and self.to_far % self.drop_to_far_every == 0:
                self.dropped_to_far += 1
                return
        for _ in range(copies):
            self._back[index].send(data, target)

    def _from_far(self, index: int, data: bytes, addr: Address) -> None:
        client = self._client[index]
        if client is None:
            rtp = self._client[0]
            if rtp is None:
                return
            client = (rtp[0], rtp[1] + 1)  # RTCP before the client's first RTCP packet
        if index == 0:
            self.to_client += 1
            if self.drop_every and self.to_client % self.drop_every == 0:
                self.dropped_to_client += 1
                return
        self._front[index].send(data, client)

    def close(self) -> None:
        async def shut() -> None:
            for sock in self._front + self._back:
                if sock.transport is not None:
                    sock.transport.close()

        if self._thread.is_alive():
            with contextlib.suppress(Exception):
                asyncio.run_coroutine_threadsafe(shut(), self._loop).result(timeout=5)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=5)
        self._loop.close()
        release_ports([self.media_port, self.media_port + 1, *self._back_ports])


def relayed_call(
    relay: UdpRelay,
    start: Callable[[], T],
    end: Callable[[T], None],
    wait_until: Callable[..., object],
    *,
    attempts: int = 5,
) -> T:
    """A call whose media passes the relay both ways. ``start()`` makes one and returns what the
    test needs of it; when its media has not passed the relay within 3 s, ``end(call)`` ends it
    and another is made (the relay's counts start again with each). ``wait_until`` is
    ``qtbot.waitUntil``.

    Why: pjmedia switches a stream at once to an address a packet with the right SSRC came from
    (symmetric RTP). The relay stays in the path only if the client's first packet, through the
    relay, reaches the peer before the peer's first packet, sent straight to the client's own
    address, reaches the client; otherwise the two ends find each other's own addresses and no
    packet passes the relay, nor any loss it is told to make. Which comes first the rig cannot
    settle (a remote address set in pjsua2's onStreamPreCreate did not take effect): 1 call in
    12 lost the race on 3 Dec 2026, 3 in 10 with the machine loaded. A call through the relay
    is what the tests need before they measure anything, so the call is made again.
    """
    for attempt in range(1, attempts + 1):
        relay.new_call()
        call = start()
        try:
            wait_until(relay.passes_both_ways(), timeout=3000)
        except WaitTimeout:
            if attempt == attempts:
                raise AssertionError(
                    f"no call of {attempts} had its media through the relay: {relay}"
                ) from None
            print(f"call {attempt}: its media did not pass the relay ({relay}); calling again")
            end(call)
        else:
            return call
    raise AssertionError("unreachable")
