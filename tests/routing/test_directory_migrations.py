"""Revisions 0011 (digest hashes, group routing fields, sip_settings) and 0012 (the views
Kamailio reads) downgrade and upgrade again on SQLite and PostgreSQL with data in the tables,
and the accounts come back to the registrar once the server has filled their hashes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic import command
from sqlalchemy import Engine, inspect, text

from communicator.provisioning.server import db as db_mod
from communicator.provisioning.server.config import ServerConfig
from communicator.provisioning.server.security import SecretBox
from communicator.provisioning.server.sip_directory import prepare
from tests.server.conftest import Api, api, config, db_url, pg_cluster, sqlite_template

__all__ = ["api", "config", "db_url", "pg_cluster", "sqlite_template"]

VIEWS = ["sip_aliases", "sip_group_targets", "sip_groups", "sip_subscribers"]


@pytest.fixture
def engine(config: ServerConfig) -> Iterator[Engine]:
    eng = db_mod.make_engine(config.db_url, pool_size=1)
    yield eng
    eng.dispose()


def _usernames(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(text("SELECT username FROM sip_subscribers")).scalars())


def test_the_directory_revisions_go_down_and_up_again(
    api: Api, engine: Engine, config: ServerConfig
) -> None:
    backup = api.group("Backup", extension=310)
    api.group("Sales", extension=300, overflow_group_id=backup["id"], call_waiting=True)
    api.account(api.agent("kim")["id"], sip_username="kim-sip", extension=201)
    assert _usernames(engine) == ["kim-sip"]

    with engine.begin() as conn:
        command.downgrade(db_mod.alembic_config(engine, conn), "0010")
    found = inspect(engine)
    assert found.get_view_names() == []
    assert "sip_settings" not in found.get_table_names()
    assert "sip_ha1" not in {c["name"] for c in found.get_columns("voip_accounts")}
    assert "overflow_group_id" not in {c["name"] for c in found.get_columns("groups")}

    db_mod.upgrade(engine)
    assert sorted(inspect(engine).get_view_names()) == VIEWS
    assert _usernames(engine) == []  # no hash yet: only the server can compute it
    box = SecretBox.load(config.data_dir)
    with db_mod.make_sessionmaker(engine, box)() as s:
        prepare(s, box, config)
        s.commit()
    assert _usernames(engine) == ["kim-sip"]
