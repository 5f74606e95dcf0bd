"""Change notifications: which agents' profiles changed, and which sessions were revoked.

A change is recorded in the same transaction as the data it describes. After commit it is
delivered in-process at once; other processes learn it through PostgreSQL LISTEN/NOTIFY or,
on SQLite, by polling the ``change_events`` table (so CLI edits and extra workers are seen too).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import json
import logging
import os
import secrets
import threading
from collections.abc import Callable, Iterable, Iterator

from sqlalchemy import Engine, delete, func, insert, select, text
from sqlalchemy.orm import Session, sessionmaker

from communicator.core.observers import Subscribers

from .logsafe import describe
from .models import ChangeEvent, utcnow

log = logging.getLogger(__name__)

CHANNEL = "communicator_changes"
ORIGIN = secrets.token_hex(8)
_MAX_IDS = 500
_MAX_PAYLOAD = 6000
"""Bytes; PostgreSQL's NOTIFY refuses payloads from 8,000 bytes on."""


@dataclasses.dataclass(frozen=True)
class Change:
    """What changed. The notice stays small whatever the numbers (PostgreSQL refuses a NOTIFY
    payload of 8,000 bytes): a revocation names agents, not their sessions, and lists too long
    become "everyone" or "recheck every cached credential"."""

    agents: frozenset[int] = frozenset()
    everyone: bool = False
    sessions_revoked: frozenset[int] = frozenset()
    signed_out: frozenset[int] = frozenset()
    """Agents whose every session and delivery token was revoked."""
    recheck_credentials: bool = False
    """Drop every cached session, delivery and admin token (they are read again)."""
    status: bool = False
    """An agent's reported state or registration changed (the console's live board reads
    again); profiles, the directory and credentials are untouched."""

    def to_json(self, origin: str) -> str:
        everyone = self.everyone or len(self.agents) > _MAX_IDS
        recheck = (
            self.recheck_credentials
            or len(self.sessions_revoked) > _MAX_IDS
            or len(self.signed_out) > _MAX_IDS
        )
        text = json.dumps(
            {
                "o": origin,
                "a": [] if everyone else sorted(self.agents),
                "all": everyone,
                "s": [] if recheck else sorted(self.sessions_revoked),
                "x": [] if recheck else sorted(self.signed_out),
                "r": recheck,
                "st": self.status,
            }
        )
        if len(text) <= _MAX_PAYLOAD:
            return text
        return json.dumps(
            {"o": origin, "a": [], "all": True, "s": [], "x": [], "r": True, "st": True}
        )

    @staticmethod
    def from_json(payload: str) -> tuple[str, Change]:
        d = json.loads(payload)
        return str(d.get("o", "")), Change(
            agents=frozenset(int(x) for x in d.get("a", [])),
            everyone=bool(d.get("all", False)),
            sessions_revoked=frozenset(int(x) for x in d.get("s", [])),
            signed_out=frozenset(int(x) for x in d.get("x", [])),
            recheck_credentials=bool(d.get("r", False)),
            status=bool(d.get("st", False)),
        )


def emit(
    session: Session,
    agents: Iterable[int | None] = (),
    *,
    everyone: bool = False,
    sessions_revoked: Iterable[int] = (),
    signed_out: Iterable[int] = (),
    recheck_credentials: bool = False,
    status: bool = False,
) -> None:
    """Records a change inside the caller's transaction."""
    change = Change(
        agents=frozenset(a for a in agents if a is not None),
        everyone=everyone,
        sessions_revoked=frozenset(sessions_revoked),
        signed_out=frozenset(signed_out),
        recheck_credentials=recheck_credentials,
        status=status,
    )
    if not (
        change.agents
        or change.everyone
        or change.sessions_revoked
        or change.signed_out
        or change.recheck_credentials
        or change.status
    ):
        return
    batch: list[Change] | None = session.info.get(_BATCH)
    if batch is not None:
        batch.append(change)
        return
    session.info.setdefault("changes", []).append(change)
    payload = _STATUS_PAYLOAD if change == _STATUS else change.to_json(ORIGIN)
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        session.execute(text("SELECT pg_notify(:c, :p)"), {"c": CHANNEL, "p": payload})
    else:
        # A plain statement (no ORM flush): every sign-in announces itself.
        session.connection().execute(_NEW_EVENT, {"payload": payload})


_BATCH = "communicator.changes_batched"


@contextlib.contextmanager
def one_notice(session: Session) -> Iterator[None]:
    """The changes emitted inside the block become one notice, given when it ends (an
    import of 20,000 accounts is one notice, not 20,000 that every process must read and
    every open event stream wake for). Nothing is given when the block raises: its
    transaction is not to be committed."""
    if _BATCH in session.info:  # already inside one
        yield
        return
    pending: list[Change] = []
    session.info[_BATCH] = pending
    try:
        yield
    finally:
        session.info.pop(_BATCH, None)
    if pending:
        emit(
            session,
            frozenset().union(*(c.agents for c in pending)),
            everyone=any(c.everyone for c in pending),
            sessions_revoked=frozenset().union(*(c.sessions_revoked for c in pending)),
            signed_out=frozenset().union(*(c.signed_out for c in pending)),
            recheck_credentials=any(c.recheck_credentials for c in pending),
            status=any(c.status for c in pending),
        )


_STATUS = Change(status=True)
_STATUS_PAYLOAD = _STATUS.to_json(ORIGIN)
"""Every sign-in's notice (the live board's), worded once."""
_NEW_EVENT = insert(ChangeEvent)


Listener = Callable[[Change], None]
RESYNC = Change(everyone=True, recheck_credentials=True, status=True)
"""Published after the LISTEN connection comes back: anything may have changed meanwhile."""
LISTENER_NAME = "communicator-listen"
"""The LISTEN connection's application_name (with the process id) in pg_stat_activity."""


class ChangeBus:
    """Delivers changes to listeners on the event loop thread."""

    def __init__(self) -> None:
        self._subscribers = Subscribers[Change](
            on_error=lambda error: log.error("change listener failed: %s", describe(error))
        )
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop = threading.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._thread: threading.Thread | None = None

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Calls ``listener`` with every change until the returned callable is called."""
        return self._subscribers.subscribe(listener)

    def attach(self, maker: sessionmaker[Session]) -> None:
        from sqlalchemy import event

        @event.listens_for(maker, "after_commit")
        def _after_commit(session: Session) -> None:
            for change in session.info.pop("changes", []):
                self.publish(change)

        @event.listens_for(maker, "after_rollback")
        def _after_rollback(session: Session) -> None:
            session.info.pop("changes", None)

    def publish(self, change: Change) -> None:
        loop = self._loop
        if loop is None:
            self._deliver(change)
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._deliver(change)
        elif not loop.is_closed():
            loop.call_soon_threadsafe(self._deliver, change)

    def _deliver(self, change: Change) -> None:
        self._subscribers.emit(change)

    async def start(self, engine: Engine, poll_s: float) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop.clear()
        if engine.dialect.name == "postgresql":
            self._thread = threading.Thread(
                target=self._pg_listen, args=(engine,), name="pg-listen", daemon=True
            )
            self._thread.start()
        else:
            self._tasks.append(asyncio.create_task(self._sqlite_poll(engine, poll_s)))

    async def stop(self) -> None:
        self._stop.set()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        if self._thread is not None:
            await asyncio.to_thread(self._thread.join, 5)
            self._thread = None
        self._loop = None

    def _foreign(self, payload: str) -> None:
        try:
            origin, change = Change.from_json(payload)
        except (ValueError, TypeError):
            log.warning("ignoring malformed change notification")
            return
        if origin != ORIGIN:
            self.publish(change)

    async def _sqlite_poll(self, engine: Engine, poll_s: float) -> None:
        def last_id() -> int:
            with Session(engine) as s:
                return int(s.scalar(select(func.coalesce(func.max(ChangeEvent.id), 0))) or 0)

        def fetch(after: int, prune: bool) -> list[tuple[int, str]]:
            with Session(engine) as s:
                rows = s.execute(
                    select(ChangeEvent.id, ChangeEvent.payload)
                    .where(ChangeEvent.id > after)
                    .order_by(ChangeEvent.id)
                ).all()
                if prune:
                    s.execute(
                        delete(ChangeEvent).where(
                            ChangeEvent.created_at < utcnow() - dt.timedelta(minutes=10)
                        )
                    )
                    s.commit()
                return [(int(r[0]), str(r[1])) for r in rows]

        last = await asyncio.to_thread(last_id)
        n = 0
        while not self._stop.is_set():
            await asyncio.sleep(poll_s)
            n += 1
            try:
                rows = await asyncio.to_thread(fetch, last, n % 240 == 0)
            except Exception as exc:
                log.warning("change poll failed: %s", describe(exc))
                continue
            for row_id, payload in rows:
                last = max(last, row_id)
                self._foreign(payload)

    def _pg_listen(self, engine: Engine) -> None:
        import psycopg

        url = engine.url.set(drivername="postgresql")
        conninfo = url.render_as_string(hide_password=False)
        name = f"{LISTENER_NAME}-{os.getpid()}"
        connected_before = False
        while not self._stop.is_set():
            try:
                with psycopg.connect(conninfo, autocommit=True, application_name=name) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    if connected_before:
                        # Notices sent while the connection was down are lost: catch up by
                        # taking everything as changed (caches dropped, streams look again).
                        log.info("LISTEN connection back; catching up on missed changes")
                        self.publish(RESYNC)
                    connected_before = True
                    while not self._stop.is_set():
                        for note in conn.notifies(timeout=0.5):
                            self._foreign(note.payload)
            except Exception:
                if self._stop.is_set():
                    return
                log.warning("LISTEN connection lost; reconnecting")
                self._stop.wait(1.0)
