"""The durable call-log outbox: a call log, once written here, is delivered or still here.

Every finished call worth logging is written in the same step that ends it, before any network
attempt (:meth:`Outbox.add` returns only after SQLite has committed it). A sender takes due logs in
batches, posts them, and removes them only after the server acknowledged them; a failed attempt
pushes the entries back with exponential backoff and jitter. Entries carry the id the client gave
them (a UUID), and the server stores each id once, so re-sending after a crash between "server
stored it" and "we deleted it" cannot make a duplicate.

Each entry belongs to an *owner*, the agent identity ``login@server`` it was recorded for. On a
hot desk the logs of agent A stay A's after B signs in: the sender delivers each owner's logs with
that owner's delivery credentials, never with whoever is signed in now.

A recording travels with its log: after the log is acknowledged the entry stays until the
recording is uploaded too. The local file is deleted only after the server confirmed the upload;
:meth:`Outbox.confirm_recording` marks that first, so a crash between the confirmation and the file
deletion is finished at the next start (:meth:`Outbox.finish_confirmed`).

A log the server *refused* (a field it cannot store, an id that belongs to another agent's log)
would get the same answer every time: :meth:`Outbox.refuse` sets it aside with the server's
reason instead of retrying it for ever. It is kept (never deleted), counted apart from the logs
waiting for delivery (:meth:`Outbox.refused_count`), listed for support
(:meth:`Outbox.refused_logs`, ``python -m communicator.provisioning.outbox_cli``) and can be put
back in the queue once the cause is fixed (:meth:`Outbox.requeue`). Transient failures (server
down, 5xx) keep retrying with backoff.

SQLite runs in WAL mode with ``synchronous=FULL``: a ``kill -9`` (or a power cut) at any point
loses nothing that :meth:`Outbox.add` returned for.
"""

from __future__ import annotations

import json
import random
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REJECTED_PREFIX = "rejected by the server"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL,
    last_error TEXT,
    log_acked INTEGER NOT NULL DEFAULT 0,
    recording_path TEXT,
    recording_confirmed INTEGER NOT NULL DEFAULT 0,
    refused_at REAL,
    refused_reason TEXT
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (owner, log_acked, next_attempt_at);
"""
_ADDED_COLUMNS = {"refused_at": "REAL", "refused_reason": "TEXT"}
"""Columns newer than the first outbox files, added to an older file when it is opened."""


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter: attempt n waits a random time in [d/2, d],
    d = min(cap, base * factor**(n-1)). Half of the delay is always kept so that a fleet of
    clients coming back after a server outage spreads out without retrying at once."""

    base_s: float = 1.0
    factor: float = 2.0
    cap_s: float = 300.0

    def delay(self, attempts: int, rng: Callable[[], float] = random.random) -> float:
        raw = min(self.cap_s, self.base_s * self.factor ** max(0, attempts - 1))
        return raw / 2 + rng() * raw / 2


@dataclass(frozen=True)
class OutboxEntry:
    id: str
    owner: str
    payload: Mapping[str, Any]
    created_at: float
    attempts: int
    next_attempt_at: float
    last_error: str | None
    log_acked: bool
    recording_path: str | None
    refused_at: float | None = None
    refused_reason: str | None = None
    """Why the server refused the log for good (None: not refused)."""

    @property
    def refused(self) -> bool:
        return self.refused_reason is not None

    @property
    def needs_recording_upload(self) -> bool:
        return self.log_acked and self.recording_path is not None


class Outbox:
    """The outbox file (one per workstation user, in the user's data dir)."""

    def __init__(
        self,
        path: Path,
        *,
        clock: Callable[[], float] = time.time,
        policy: RetryPolicy | None = None,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._clock = clock
        self._policy = policy or RetryPolicy()
        self._rng = rng
        # isolation_level=None: we issue BEGIN/COMMIT ourselves so each public call is one
        # transaction. check_same_thread=False: the sender may run on another thread; every
        # method takes the connection for one short statement group only.
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
        self._lock = threading.RLock()
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)
        with self._transaction():
            have = {row[1] for row in self._db.execute("PRAGMA table_info(outbox)")}
            for column, kind in _ADDED_COLUMNS.items():
                if column not in have:
                    self._db.execute(f"ALTER TABLE outbox ADD COLUMN {column} {kind}")

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Outbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing ----------------------------------------------------------------------------

    def add(
        self,
        owner: str,
        entry_id: str,
        payload: Mapping[str, Any],
        recording_path: str | None = None,
    ) -> bool:
        """Store one call log durably. Returns False if that id was already stored (a replay)."""
        now = self._clock()
        with self._transaction():
            cursor = self._db.execute(
                "INSERT OR IGNORE INTO outbox (id, owner, payload, created_at, next_attempt_at,"
                " recording_path) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    entry_id,
                    owner,
                    json.dumps(dict(payload), sort_keys=True),
                    now,
                    now,
                    recording_path,
                ),
            )
        return cursor.rowcount == 1

    def acknowledge_logs(self, ids: Iterable[str]) -> None:
        """The server stored these logs: drop them, or keep them for their recording upload."""
        id_list = list(ids)
        now = self._clock()
        with self._transaction():
            self._db.executemany(
                "DELETE FROM outbox WHERE id = ? AND recording_path IS NULL",
                [(i,) for i in id_list],
            )
            self._db.executemany(
                "UPDATE outbox SET log_acked = 1, attempts = 0, next_attempt_at = ?,"
                " last_error = NULL WHERE id = ?",
                [(now, i) for i in id_list],
            )

    def fail(self, ids: Iterable[str], error: str) -> None:
        """An attempt failed (server down, 5xx): push these entries back with backoff."""
        now = self._clock()
        with self._transaction():
            for entry_id in ids:
                row = self._db.execute(
                    "SELECT attempts FROM outbox WHERE id = ?", (entry_id,)
                ).fetchone()
                if row is None:
                    continue
                attempts = int(row[0]) + 1
                self._db.execute(
                    "UPDATE outbox SET attempts = ?, next_attempt_at = ?, last_error = ?"
                    " WHERE id = ?",
                    (
                        attempts,
                        now + self._policy.delay(attempts, self._rng),
                        error[:500],
                        entry_id,
                    ),
                )

    def refuse(self, reasons: Mapping[str, str]) -> None:
        """The server refused these logs for good (id -> its reason): set them aside, out of
        the delivery queue and out of the waiting count, kept for support."""
        now = self._clock()
        with self._transaction():
            self._db.executemany(
                "UPDATE outbox SET refused_at = ?, refused_reason = ?, last_error = ?"
                " WHERE id = ? AND log_acked = 0",
                [
                    (now, reason[:1000] or "refused", reason[:500] or "refused", entry_id)
                    for entry_id, reason in reasons.items()
                ],
            )

    def requeue(self, ids: Iterable[str] | None = None) -> int:
        """Put refused logs (all of them, or these ids) back in the queue, due now: for
        support, once the cause of the refusal is fixed. Returns how many."""
        now = self._clock()
        sql = (
            "UPDATE outbox SET refused_at = NULL, refused_reason = NULL, attempts = 0,"
            " next_attempt_at = ? WHERE refused_reason IS NOT NULL"
        )
        with self._transaction():
            if ids is None:
                return self._db.execute(sql, (now,)).rowcount
            return sum(self._db.execute(f"{sql} AND id = ?", (now, i)).rowcount for i in ids)

    def retry_now(self, owner: str) -> int:
        """The server just accepted a batch: it is back, so logs of this owner that were backed
        off for an outage are due now. Logs the server rejected keep their backoff."""
        with self._transaction():
            cursor = self._db.execute(
                "UPDATE outbox SET next_attempt_at = ? WHERE owner = ? AND attempts > 0"
                " AND next_attempt_at > ? AND refused_reason IS NULL"
                " AND (last_error IS NULL OR last_error NOT LIKE ?)",
                (self._clock(), owner, self._clock(), f"{REJECTED_PREFIX}%"),
            )
        return cursor.rowcount

    def confirm_recording(self, entry_id: str) -> str | None:
        """The server confirmed the recording: mark it, then the caller deletes the file and
        calls :meth:`forget`. Returns the file path to delete."""
        with self._transaction():
            row = self._db.execute(
                "SELECT recording_path FROM outbox WHERE id = ?", (entry_id,)
            ).fetchone()
            self._db.execute("UPDATE outbox SET recording_confirmed = 1 WHERE id = ?", (entry_id,))
        return None if row is None else row[0]

    def forget(self, entry_id: str) -> None:
        with self._transaction():
            self._db.execute("DELETE FROM outbox WHERE id = ?", (entry_id,))

    def finish_confirmed(self, delete_file: Callable[[str], None]) -> int:
        """Complete uploads confirmed before a crash: delete their files, then their rows."""
        rows = self._query("SELECT id, recording_path FROM outbox WHERE recording_confirmed = 1")
        for entry_id, path in rows:
            if path:
                delete_file(path)
            self.forget(entry_id)
        return len(rows)

    # -- reading ----------------------------------------------------------------------------

    def now(self) -> float:
        """The outbox's clock (injectable for tests), for scheduling against next_due_at."""
        return self._clock()

    def owners(self) -> list[str]:
        return [r[0] for r in self._query("SELECT DISTINCT owner FROM outbox ORDER BY owner")]

    def pending_count(self, owner: str | None = None) -> int:
        """Logs not yet acknowledged by the server (what the agent sees as "waiting"); the
        refused ones are not waiting for anything and are counted by :meth:`refused_count`."""
        return self._count("log_acked = 0 AND refused_reason IS NULL", owner)

    def refused_count(self, owner: str | None = None) -> int:
        """Logs the server refused for good, kept aside for support."""
        return self._count("refused_reason IS NOT NULL", owner)

    def refused_logs(self, owner: str | None = None) -> list[OutboxEntry]:
        """The refused logs with the server's reasons, oldest first (for support)."""
        query = f"{_SELECT} WHERE refused_reason IS NOT NULL"
        args: tuple[str, ...] = ()
        if owner is not None:
            query += " AND owner = ?"
            args = (owner,)
        return [self._entry(r) for r in self._query(f"{query} ORDER BY created_at, rowid", args)]

    def _count(self, condition: str, owner: str | None) -> int:
        query = f"SELECT COUNT(*) FROM outbox WHERE {condition}"
        args: tuple[str, ...] = ()
        if owner is not None:
            query += " AND owner = ?"
            args = (owner,)
        return int(self._query(query, args)[0][0])

    def pending_recordings(self, owner: str | None = None) -> int:
        query = "SELECT COUNT(*) FROM outbox WHERE log_acked = 1 AND recording_confirmed = 0"
        args: tuple[str, ...] = ()
        if owner is not None:
            query += " AND owner = ?"
            args = (owner,)
        return int(self._query(query, args)[0][0])

    def due_logs(self, owner: str, limit: int = 100) -> list[OutboxEntry]:
        return self._due(owner, limit, log_acked=False)

    def due_recordings(self, owner: str, limit: int = 10) -> list[OutboxEntry]:
        return self._due(owner, limit, log_acked=True)

    def next_due_at(self, owner: str | None = None) -> float | None:
        """When the next entry becomes due (None if nothing waits), to schedule the sender."""
        query = (
            "SELECT MIN(next_attempt_at) FROM outbox WHERE recording_confirmed = 0"
            " AND refused_reason IS NULL"
        )
        args: tuple[str, ...] = ()
        if owner is not None:
            query += " AND owner = ?"
            args = (owner,)
        value = self._query(query, args)[0][0]
        return None if value is None else float(value)

    def entries(self) -> list[OutboxEntry]:
        return [self._entry(r) for r in self._query(f"{_SELECT} ORDER BY created_at, rowid")]

    def _due(self, owner: str, limit: int, *, log_acked: bool) -> list[OutboxEntry]:
        extra = " AND recording_path IS NOT NULL AND recording_confirmed = 0" if log_acked else ""
        rows = self._query(
            f"{_SELECT} WHERE owner = ? AND log_acked = ? AND next_attempt_at <= ?"
            f" AND refused_reason IS NULL{extra}"
            " ORDER BY created_at, rowid LIMIT ?",
            (owner, int(log_acked), self._clock(), limit),
        )
        return [self._entry(r) for r in rows]

    def _query(self, sql: str, args: Sequence[object] = ()) -> list[Any]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    @staticmethod
    def _entry(row: Sequence[Any]) -> OutboxEntry:
        return OutboxEntry(
            id=row[0],
            owner=row[1],
            payload=json.loads(row[2]),
            created_at=row[3],
            attempts=row[4],
            next_attempt_at=row[5],
            last_error=row[6],
            log_acked=bool(row[7]),
            recording_path=row[8],
            refused_at=row[9],
            refused_reason=row[10],
        )

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db, self._lock)


_SELECT = (
    "SELECT id, owner, payload, created_at, attempts, next_attempt_at, last_error, log_acked,"
    " recording_path, refused_at, refused_reason FROM outbox"
)


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT under the outbox's lock, rolled back on error."""

    def __init__(self, db: sqlite3.Connection, lock: threading.RLock) -> None:
        self._db = db
        self._lock = lock

    def __enter__(self) -> None:
        self._lock.acquire()
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except BaseException:
            self._lock.release()
            raise

    def __exit__(self, exc_type: object, *rest: object) -> None:
        try:
            self._db.execute("ROLLBACK" if exc_type is not None else "COMMIT")
        finally:
            self._lock.release()
