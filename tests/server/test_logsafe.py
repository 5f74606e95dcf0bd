"""The server names an unexpected error by its type and place, never by its text: a database
error's text carries the statement's parameters (a login, a number), which must not reach the
log from the background tasks (the change poll, the change listeners, the lease sweep)."""

from __future__ import annotations

import logging

import pytest

from communicator.provisioning.server.changes import Change, ChangeBus
from communicator.provisioning.server.logsafe import describe

SECRET = "agent-login-4711"


def _raise() -> None:
    raise RuntimeError(f"INSERT INTO agents (login) VALUES ('{SECRET}')")


def test_an_error_is_described_by_its_type_and_where_it_was_raised() -> None:
    with pytest.raises(RuntimeError) as caught:
        _raise()
    text = describe(caught.value)
    assert text.startswith("RuntimeError in test_logsafe.py:")
    assert SECRET not in text
    assert describe(ValueError(SECRET)) == "ValueError"  # never raised: no place known


def test_a_failing_change_listener_logs_no_text(caplog: pytest.LogCaptureFixture) -> None:
    bus = ChangeBus()

    def listener(_change: Change) -> None:
        _raise()

    bus.subscribe(listener)
    with caplog.at_level(logging.DEBUG):
        bus.publish(Change(agents=frozenset({1})))
    failures = [r for r in caplog.records if "change listener failed" in r.getMessage()]
    assert failures, caplog.text
    assert SECRET not in caplog.text
    assert all(r.exc_info is None for r in caplog.records)
