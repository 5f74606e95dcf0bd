"""Transactions as the server's code writes them, on SQLite and PostgreSQL: a savepoint met
before the first write is part of the session's transaction (legacy pysqlite committed it on
release), and a session that read before writing still writes after another connection's
commit (SQLite would refuse to upgrade its stale read snapshot)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from communicator.provisioning.server import db as db_mod
from communicator.provisioning.server.models import SignInLimit


@pytest.fixture
def maker(db_url: str) -> Iterator[sessionmaker[Session]]:
    engine: Engine = db_mod.make_engine(db_url)
    try:
        yield db_mod.make_sessionmaker(engine)
    finally:
        engine.dispose()


def limit(key: str) -> SignInLimit:
    return SignInLimit(key=key, tokens=1.0, updated_at=dt.datetime.now(dt.UTC))


def keys(maker: sessionmaker[Session]) -> list[str]:
    with maker() as s:
        return list(s.scalars(select(SignInLimit.key).order_by(SignInLimit.key)))


def test_a_savepoint_first_write_rolled_back_leaves_nothing(
    maker: sessionmaker[Session],
) -> None:
    with maker() as s:
        with s.begin_nested():
            s.add(limit("in-savepoint"))
        s.add(limit("after-savepoint"))
        s.flush()
        s.rollback()
    assert keys(maker) == []


def test_a_savepoint_after_a_read_belongs_to_the_transaction(
    maker: sessionmaker[Session],
) -> None:
    with maker() as s:
        assert s.scalar(select(func.count()).select_from(SignInLimit)) == 0
        with s.begin_nested():
            s.add(limit("in-savepoint"))
        s.rollback()
    with maker() as s:
        with s.begin_nested():
            s.add(limit("kept"))
        nested = s.begin_nested()
        s.add(limit("undone"))
        s.flush()
        nested.rollback()
        s.commit()
    assert keys(maker) == ["kept"]


def test_a_session_that_read_writes_after_another_commit(
    maker: sessionmaker[Session],
) -> None:
    with maker() as reader_then_writer:
        assert reader_then_writer.scalar(select(func.count()).select_from(SignInLimit)) == 0
        with maker() as other:
            other.add(limit("other"))
            other.commit()
        reader_then_writer.add(limit("mine"))
        reader_then_writer.commit()
    assert keys(maker) == ["mine", "other"]
