"""Logs the server refused for good are set aside: kept, counted apart, listed, never retried
until support puts them back."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from communicator.provisioning.outbox import Outbox
from communicator.provisioning.outbox_cli import main as outbox_cli


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def outbox(tmp_path: Path, clock: FakeClock) -> Iterator[Outbox]:
    box = Outbox(tmp_path / "outbox.sqlite3", clock=clock, rng=lambda: 1.0)
    yield box
    box.close()


def log(n: int) -> dict[str, object]:
    return {"remote": f"sip:{100 + n}@example.com", "duration": n}


def test_a_refused_log_is_set_aside_not_retried(
    outbox: Outbox, clock: FakeClock, tmp_path: Path
) -> None:
    for i in ("a", "b", "c"):
        outbox.add("anna", i, log(1))
    outbox.refuse({"b": "invalid: started_at: is outside the calendar once converted to UTC"})
    assert [e.id for e in outbox.due_logs("anna")] == ["a", "c"]
    assert outbox.pending_count() == 2 and outbox.pending_count("anna") == 2
    assert outbox.refused_count() == 1 and outbox.refused_count("bob") == 0
    outbox.acknowledge_logs(["a", "c"])
    # Nothing is due any more, ever: the refused log does not wake the sender.
    assert outbox.next_due_at() is None
    clock.now += 10 * 86400
    assert outbox.due_logs("anna") == []
    assert outbox.retry_now("anna") == 0
    # ... but it is kept, with the server's reason, also after a restart.
    outbox.close()
    with Outbox(tmp_path / "outbox.sqlite3", clock=clock) as again:
        (kept,) = again.refused_logs()
        assert kept.id == "b" and kept.refused and kept.payload == log(1)
        assert kept.refused_reason is not None and "started_at" in kept.refused_reason
        assert kept.refused_at == 1000.0
        assert [e.id for e in again.entries()] == ["b"]


def test_support_puts_refused_logs_back_in_the_queue(outbox: Outbox) -> None:
    for i in ("a", "b", "c"):
        outbox.add("anna", i, log(1))
        outbox.fail([i], "server unreachable")
    outbox.refuse({"a": "conflict", "b": "invalid"})
    assert outbox.requeue(["a"]) == 1
    assert [e.id for e in outbox.due_logs("anna")] == ["a"]  # due now, attempts reset
    assert outbox.refused_count() == 1
    assert outbox.requeue() == 1
    assert outbox.refused_count() == 0 and outbox.pending_count() == 3


def test_an_outbox_from_before_refusals_opens_and_keeps_its_logs(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    db = sqlite3.connect(path)
    db.executescript(
        """CREATE TABLE outbox (
            id TEXT PRIMARY KEY, owner TEXT NOT NULL, payload TEXT NOT NULL,
            created_at REAL NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at REAL NOT NULL, last_error TEXT,
            log_acked INTEGER NOT NULL DEFAULT 0, recording_path TEXT,
            recording_confirmed INTEGER NOT NULL DEFAULT 0);"""
    )
    db.execute(
        "INSERT INTO outbox (id, owner, payload, created_at, next_attempt_at)"
        " VALUES ('x', 'anna', ?, 1, 1)",
        (json.dumps(log(7)),),
    )
    db.commit()
    db.close()
    with Outbox(path) as box, Outbox(path) as other:  # two connections, as in the app
        assert [e.id for e in box.due_logs("anna")] == ["x"]
        box.refuse({"x": "invalid"})
        assert other.refused_count() == 1 and other.pending_count() == 0


def test_support_lists_and_requeues_refused_logs_from_the_command_line(
    outbox: Outbox, capsys: pytest.CaptureFixture[str]
) -> None:
    outbox.add("anna@https://pbx", "a", log(1))
    outbox.add("anna@https://pbx", "b", log(2))
    outbox.refuse({"b": "invalid: remote: NUL characters (\\u0000) are not allowed"})
    path = str(outbox.path)
    assert outbox_cli(["--outbox", path]) == 0
    assert capsys.readouterr().out.splitlines()[:2] == ["waiting: 1", "refused: 1"]
    assert outbox_cli(["--outbox", path, "refused"]) == 0
    out = capsys.readouterr().out
    assert "b  anna@https://pbx" in out and "remote: NUL characters" in out
    assert "sip:102@example.com" in out and "sip:101" not in out
    assert outbox_cli(["--outbox", path, "requeue"]) == 0
    assert "1 log(s)" in capsys.readouterr().out
    assert outbox.refused_count() == 0 and outbox.pending_count() == 2
    assert outbox_cli(["--outbox", str(outbox.path.with_name("none.sqlite3"))]) == 1
