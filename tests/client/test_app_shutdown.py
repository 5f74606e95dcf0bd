"""The client's shutdown runs every step in order, whatever fails on the way."""

from __future__ import annotations

import logging

import pytest

from communicator.app import close_in_order


def test_a_failing_step_does_not_skip_the_later_ones(caplog: pytest.LogCaptureFixture) -> None:
    done: list[str] = []

    def fail() -> None:
        done.append("audio")
        raise RuntimeError("device gone")

    with caplog.at_level(logging.ERROR, logger="communicator"):
        close_in_order(
            ("signing out", lambda: done.append("sign out")),
            ("closing the audio", fail),
            ("nothing to close", None),
            ("shutting SIP down", lambda: done.append("sip")),
        )
    assert done == ["sign out", "audio", "sip"]
    [record] = caplog.records
    assert record.getMessage() == "shutdown: closing the audio failed"
    assert record.exc_info is not None and "device gone" in str(record.exc_info[1])
