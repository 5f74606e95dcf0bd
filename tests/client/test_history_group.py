"""The local history keeps the group of a group call and its "answered elsewhere" outcome, and
a history file written before groups opens and keeps working (the column is added)."""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path

from communicator.core.call_group import CallGroup
from communicator.core.call_record import CallRecord
from communicator.core.calls import CallDirection, CallId, EndReason, RemoteParty
from communicator.provisioning.history import CallHistory, HistoryOutcome

OWNER = "anna@https://server.test"

OLD_SCHEMA = """
CREATE TABLE calls (
    owner TEXT NOT NULL, record_id TEXT NOT NULL, started_at REAL NOT NULL,
    direction TEXT NOT NULL, number TEXT NOT NULL, name TEXT NOT NULL, uri TEXT NOT NULL,
    line INTEGER, outcome TEXT NOT NULL, talk_time REAL NOT NULL, logged INTEGER NOT NULL,
    seen INTEGER NOT NULL, PRIMARY KEY (owner, record_id)
);
INSERT INTO calls VALUES ('anna@https://server.test', 'old', 1.0, 'incoming', '2002', 'Old',
    'sip:2002@x', 1, 'missed', 0.0, 1, 0);
"""


def record(end_reason: EndReason, group: CallGroup | None, at: float) -> CallRecord:
    return CallRecord(
        record_id=uuid.uuid4(),
        call_id=CallId(str(uuid.uuid4())),
        direction=CallDirection.INCOMING,
        remote=RemoteParty.from_uri("sip:2003@x", "Caller"),
        line=1,
        created_at=at,
        ringing_at=at,
        answered_at=None,
        ended_at=at + 5,
        duration=5.0,
        talk_time=0.0,
        end_reason=end_reason,
        sip_code=487,
        missed=end_reason is EndReason.MISSED,
        group=group,
    )


def test_answered_elsewhere_is_kept_with_its_group_and_is_not_a_missed_call(
    tmp_path: Path,
) -> None:
    history = CallHistory(tmp_path / "history.sqlite")
    entry = history.add(
        OWNER, record(EndReason.ANSWERED_ELSEWHERE, CallGroup("Support"), 10.0), logged=True
    )
    assert entry.outcome is HistoryOutcome.ANSWERED_ELSEWHERE and entry.group == "Support"
    history.add(OWNER, record(EndReason.MISSED, None, 20.0), logged=True)
    assert history.missed_count(OWNER) == 1  # only the caller who gave up
    assert [(e.outcome, e.group) for e in history.entries(OWNER)] == [
        (HistoryOutcome.MISSED, ""),
        (HistoryOutcome.ANSWERED_ELSEWHERE, "Support"),
    ]
    assert [e.group for e in history.entries(OWNER, "supp")] == ["Support"]
    history.close()


def test_a_history_file_from_before_groups_opens(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite"
    with sqlite3.connect(path) as db:
        db.executescript(OLD_SCHEMA)
    db.close()
    history = CallHistory(path)
    (old,) = history.entries(OWNER)
    assert old.record_id == "old" and old.group == "" and old.outcome is HistoryOutcome.MISSED
    history.add(OWNER, record(EndReason.ANSWERED_ELSEWHERE, CallGroup("Sales"), 30.0), logged=True)
    assert [e.group for e in history.entries(OWNER)] == ["Sales", ""]
    assert history.missed_count(OWNER) == 1
    history.close()
    reopened = CallHistory(path)  # the column is there now: opening again changes nothing
    assert len(reopened.entries(OWNER)) == 2
    reopened.close()
