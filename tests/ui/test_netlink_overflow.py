"""Lost rtnetlink messages (the socket's buffer overflowed while the phone was busy): the loss
counts as a change, and what changed meanwhile is known again, so the next change counts.
Real: loopback addresses added faster than anyone reads (needs CAP_NET_ADMIN, as the rig's
network tests)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import pytest

from communicator.ui.netlink import NetlinkSocket

pytestmark = [pytest.mark.rig, pytest.mark.timeout(60)]

BATCHES = [[f"127.0.{third}.{fourth}" for fourth in range(1, 255)] for third in range(91, 123)]
"""Up to 32 x 254 loopback addresses, each bringing two messages (its address, its ``local``
route): added unread, 1, 2, 4 then 8 batches at a time, until the kernel drops messages (a
212 KiB default receive buffer overflows in the first batch)."""


def ip_batch(action: str, addresses: list[str]) -> None:
    commands = "".join(f"addr {action} {a}/32 dev lo\n" for a in addresses)
    done = subprocess.run(
        ["ip", "-force", "-batch", "-"], input=commands, capture_output=True, text=True, check=False
    )
    if done.returncode and action == "add":
        pytest.skip(f"cannot change the loopback addresses here: {done.stderr.strip()[:200]}")


@pytest.fixture
def netlink() -> Iterator[NetlinkSocket]:
    socket = NetlinkSocket()
    socket.open()
    try:
        yield socket
    finally:
        socket.close()


def test_an_address_whose_news_was_lost_counts_when_it_goes(netlink: NetlinkSocket) -> None:
    added: list[str] = []
    try:
        remaining, size = list(BATCHES), 1
        while remaining:
            for batch in remaining[:size]:  # nobody reads meanwhile
                ip_batch("add", batch)
                added += batch
            remaining, size = remaining[size:], size * 2
            changes = [change.what for change in netlink.read()]
            if "netlink messages dropped" in changes:
                break
        else:
            pytest.fail("the kernel never dropped a message: nothing to test")
        last = added[-1]  # added after the buffer was full: its message was dropped
        ip_batch("del", [last])
        changes = [change.what for change in netlink.read()]
        assert any(what.startswith(f"address removed {last} ") for what in changes), changes
    finally:
        ip_batch("del", added)
