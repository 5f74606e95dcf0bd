"""The agent's local call history: every call, answered, missed, rejected or too short to post.

Kept in SQLite beside the outbox, per agent (the owner key of `credentials.credential_key`, the
server and the login), so on a shared workstation an agent sees only their own calls; it
survives restarts. The server's call-log report is the record of truth; this is what the
agent's history list, its search, redial and the missed-call badge read.

A missed call is *unseen* until the agent has looked at the history (`mark_missed_seen`), which
is what the missed-call badge counts.
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

from communicator.core.call_record import CallRecord
from communicator.core.calls import CallDirection, EndReason

DEFAULT_LIMIT = 500


class HistoryOutcome(Enum):
    ANSWERED = "answered"
    MISSED = "missed"
    REJECTED = "rejected"
    """The agent declined the call (or it was answered busy while the agent was not ready)."""
    FORWARDED = "forwarded"
    ANSWERED_ELSEWHERE = "answered elsewhere"
    """A group call another member answered while it rang here (not missed)."""
    NOT_ANSWERED = "not answered"
    """An outgoing call the far end did not answer (busy, declined, no answer, failed,
    cancelled)."""

    @classmethod
    def of(cls, record: CallRecord) -> HistoryOutcome:
        if record.answered:
            return cls.ANSWERED
        if record.missed:
            return cls.MISSED
        if record.end_reason is EndReason.ANSWERED_ELSEWHERE:
            return cls.ANSWERED_ELSEWHERE
        if record.end_reason is EndReason.FORWARDED:
            return cls.FORWARDED
        if record.direction is CallDirection.INCOMING:
            return cls.REJECTED
        return cls.NOT_ANSWERED


@dataclass(frozen=True)
class HistoryEntry:
    record_id: str
    started_at: float
    """Epoch seconds."""
    direction: CallDirection
    number: str
    name: str
    uri: str
    line: int | None
    outcome: HistoryOutcome
    talk_time: float
    logged: bool
    """Whether the call was long enough to be posted as a call log (Min Call Log Length)."""
    group: str = ""
    """The group an incoming call came through ("" when none)."""

    @property
    def redial_target(self) -> str:
        """What redial dials: the number where there is one, the SIP URI otherwise."""
        return self.number or self.uri


_SCHEMA = """
CREATE TABLE IF NOT EXISTS calls (
    owner TEXT NOT NULL,
    record_id TEXT NOT NULL,
    started_at REAL NOT NULL,
    direction TEXT NOT NULL,
    number TEXT NOT NULL,
    name TEXT NOT NULL,
    uri TEXT NOT NULL,
    line INTEGER,
    outcome TEXT NOT NULL,
    talk_time REAL NOT NULL,
    logged INTEGER NOT NULL,
    seen INTEGER NOT NULL,
    grp TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (owner, record_id)
);
CREATE INDEX IF NOT EXISTS calls_by_time ON calls (owner, started_at);
"""
_ADDED_COLUMNS = {"grp": "TEXT NOT NULL DEFAULT ''"}
"""Columns newer than the first history files, added to an older file when it is opened."""
_COLUMNS = (
    "record_id, started_at, direction, number, name, uri, line, outcome, talk_time, logged, grp"
)


class CallHistory:
    """Thread-safe (one connection behind a lock); every method is a short local transaction."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            # No fsync per change (the GUI thread adds a call at each hang-up): a crash of the
            # application loses nothing, a power cut at most the last changes - the call's
            # log itself is in the outbox, which syncs every commit.
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
            present = {row[1] for row in self._db.execute("PRAGMA table_info(calls)")}
            for column, kind in _ADDED_COLUMNS.items():
                if column not in present:
                    self._db.execute(f"ALTER TABLE calls ADD COLUMN {column} {kind}")

    def add(self, owner: str, record: CallRecord, *, logged: bool) -> HistoryEntry:
        outcome = HistoryOutcome.of(record)
        entry = HistoryEntry(
            record_id=str(record.record_id),
            started_at=record.created_at,
            direction=record.direction,
            number=record.remote.number,
            name=record.remote.display_name,
            uri=record.remote.uri,
            line=record.line,
            outcome=outcome,
            talk_time=record.talk_time,
            logged=logged,
            group=record.group.name if record.group is not None else "",
        )
        with self._lock:
            self._db.execute(
                f"INSERT OR IGNORE INTO calls (owner, {_COLUMNS}, seen) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    owner,
                    entry.record_id,
                    entry.started_at,
                    entry.direction.value,
                    entry.number,
                    entry.name,
                    entry.uri,
                    entry.line,
                    entry.outcome.value,
                    entry.talk_time,
                    int(logged),
                    entry.group,
                    int(outcome is not HistoryOutcome.MISSED),
                ),
            )
        return entry

    def entries(
        self, owner: str, search: str = "", *, limit: int = DEFAULT_LIMIT
    ) -> tuple[HistoryEntry, ...]:
        """Newest first; ``search`` matches any part of the number, name, SIP URI or group."""
        pattern = "%" + _escape_like(search.strip()) + "%"
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_COLUMNS} FROM calls WHERE owner = :owner AND ("
                "number LIKE :pattern ESCAPE '\\' OR name LIKE :pattern ESCAPE '\\' "
                "OR uri LIKE :pattern ESCAPE '\\' OR grp LIKE :pattern ESCAPE '\\') "
                "ORDER BY started_at DESC LIMIT :limit",
                {"owner": owner, "pattern": pattern, "limit": limit},
            ).fetchall()
        return tuple(_entry(row) for row in rows)

    def missed_count(self, owner: str) -> int:
        """Missed calls the agent has not seen in the history yet (the badge)."""
        with self._lock:
            (count,) = self._db.execute(
                "SELECT COUNT(*) FROM calls WHERE owner = ? AND outcome = ? AND seen = 0",
                (owner, HistoryOutcome.MISSED.value),
            ).fetchone()
        return int(count)

    def mark_missed_seen(self, owner: str) -> None:
        with self._lock:
            self._db.execute("UPDATE calls SET seen = 1 WHERE owner = ? AND seen = 0", (owner,))

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _entry(row: tuple[Any, ...]) -> HistoryEntry:
    record_id, started_at, direction, number, name, uri, line, outcome, talk_time, logged = row[:10]
    grp = row[10]
    return HistoryEntry(
        record_id=str(record_id),
        started_at=float(started_at),
        direction=CallDirection(direction),
        number=str(number),
        name=str(name),
        uri=str(uri),
        line=None if line is None else int(line),
        outcome=HistoryOutcome(outcome),
        talk_time=float(talk_time),
        logged=bool(logged),
        group=str(grp),
    )
