"""Engine, sessions and migrations (Alembic, run at ``serve`` start)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


WAL_AUTOCHECKPOINT_PAGES = 10_000
"""SQLite: the WAL size (4 KiB pages, ~40 MiB) at which a commit copies it into the database.
At SQLite's 1,000 a batch of call logs with random ids (each dirties pages all over the table's
indexes) made nearly every commit a checkpoint, and ingest fell from ~6,000 to ~3,000 logs/s
as the table grew past 30,000 logs. The server checkpoints on its own every few seconds
(`checkpoint_wal`), which also bounds what a power cut could take back (synchronous=NORMAL
syncs the WAL at checkpoints)."""


def checkpoint_wal(engine: Engine) -> None:
    """SQLite: copy what the WAL holds into the database file and sync both (PASSIVE: no wait
    for readers or the writer; what they hold back goes next time). Not inside a transaction:
    SQLite refuses a checkpoint there."""
    conn = engine.raw_connection()
    try:
        conn.driver_connection.execute("PRAGMA wal_checkpoint(PASSIVE)")  # type: ignore[union-attr]
    finally:
        conn.close()


def make_engine(url: str, *, pool_size: int = 10) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            pool_size=pool_size,
            max_overflow=20,
        )
        _sqlite_transactions(engine)
        return engine
    return create_engine(url, pool_size=pool_size, max_overflow=20, pool_pre_ping=True)


_SQLITE_WRITES = frozenset(
    ("INSERT", "UPDATE", "DELETE", "REPLACE", "SAVEPOINT", "CREATE", "DROP", "ALTER")
)


def _sqlite_transactions(engine: Engine) -> None:
    """SQLAlchemy's transactions made real on SQLite (its documented pysqlite recipe), with
    writers that queue for the write lock instead of failing.

    pysqlite's legacy transaction handling (Python < 3.12) opens a transaction only before an
    INSERT/UPDATE/DELETE, so a ``begin_nested()`` met before the first write opened the
    transaction itself (``SAVEPOINT``) and *committed* it on release: rolling the session back
    afterwards kept the rows. Here the driver never begins on its own (``isolation_level =
    None``) and every SQLAlchemy transaction emits ``BEGIN``.

    What the server relies on for concurrent writers (the CLI, the change poll and other
    processes beside one process's writer thread) is kept: a transaction's first write (or
    savepoint) takes the write lock at once with ``BEGIN IMMEDIATE``, waiting up to the busy
    timeout for another writer, as the legacy ``BEGIN`` did right before that write. A
    transaction that has only read so far ends its read there (as the legacy reads, each its
    own, did) rather than upgrading its read snapshot, which SQLite refuses at once
    (``SQLITE_BUSY_SNAPSHOT``, no waiting) when another connection wrote meanwhile. Reads
    before the first write thus see one snapshot; everything from the first write on is one
    atomic transaction, savepoints included.
    """

    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, record: Any) -> None:
        dbapi_conn.isolation_level = None  # the driver leaves transactions to SQLAlchemy
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute(f"PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT_PAGES}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()
        record.info["sqlite_writing"] = False

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        conn.connection.driver_connection.execute("BEGIN")  # type: ignore[union-attr]
        conn.connection.info["sqlite_writing"] = False

    @event.listens_for(engine, "before_cursor_execute")
    def _before(
        conn: Connection, cursor: Any, statement: str, _p: Any, context: Any, _many: bool
    ) -> None:
        info = conn.connection.info
        if info.get("sqlite_writing", True) or not cursor.connection.in_transaction:
            return  # already writing, or outside SQLAlchemy's transactions (autocommit)
        if context is not None and (context.isinsert or context.isupdate or context.isdelete):
            writes = True
        else:
            head = statement.lstrip()[:10].split(None, 1)
            writes = bool(head) and head[0].upper() in _SQLITE_WRITES
        if writes:
            dbapi = cursor.connection
            dbapi.execute("COMMIT")  # the reads so far (nothing written yet)
            dbapi.execute("BEGIN IMMEDIATE")
            info["sqlite_writing"] = True


def make_sessionmaker(engine: Engine, box: Any = None) -> sessionmaker[Session]:
    """Sessions that carry the server key (``box``) so services can rotate SIP passwords."""
    return sessionmaker(engine, expire_on_commit=False, info={"box": box})


# pg_advisory_lock keys (any 64-bit numbers, fixed for this application).
MIGRATION_LOCK = 0x636F6D6D_0001
EXTENSION_LOCK = 0x636F6D6D_0002


def alembic_config(engine: Engine, connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["engine"] = engine
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def upgrade(engine: Engine) -> None:
    """Brings the database schema to the newest revision.

    Processes starting together on a fresh database migrate one after the other (the later
    ones find nothing to do): on PostgreSQL under an advisory lock, on an SQLite file under
    a lock on a file beside it.
    """
    if engine.dialect.name != "postgresql":
        with _file_lock(engine.url.database):
            command.upgrade(alembic_config(engine), "head")
        return
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATION_LOCK})
        conn.commit()
        try:
            command.upgrade(alembic_config(engine, conn), "head")
        finally:
            conn.rollback()
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK})
            conn.commit()


@contextlib.contextmanager
def _file_lock(database: str | None) -> Iterator[None]:
    """An exclusive lock on ``<database>.migrate-lock`` (none for in-memory databases)."""
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        yield
        return
    import fcntl

    with open(f"{database}.migrate-lock", "a+b") as f:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f.fileno(), fcntl.LOCK_UN)


def lock_extensions(session: Session) -> None:
    """Serialises extension allocation across processes until the transaction ends, so the
    free extension read next is still free at commit.

    PostgreSQL: a transaction-scoped advisory lock. SQLite: a write that changes nothing takes
    the database's write lock now (waiting for another process's writer), before the read.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": EXTENSION_LOCK})
    else:
        session.execute(text("UPDATE voip_accounts SET id = id WHERE 0 = 1"))
