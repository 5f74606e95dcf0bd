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

ADDRESSES = [f"127.0.{third}.{fourth}" for third in (91, 92, 93, 94) for fourth in range(1, 255)]
"""Each one brings two messages (its address, its ``local`` route): far more than the
default receive buffer holds unread."""


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
    try:
        ip_batch("add", ADDRESSES)
        changes = [change.what for change in netlink.read()]
        assert "netlink messages dropped" in changes
        last = ADDRESSES[-1]  # added after the buffer was full: its message was dropped
        ip_batch("del", [last])
        changes = [change.what for change in netlink.read()]
        assert any(what.startswith(f"address removed {last} ") for what in changes), changes
    finally:
        ip_batch("del", ADDRESSES)
