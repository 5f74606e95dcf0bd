"""SQLite: what the server stored reaches the database file itself within seconds, not only
its write-ahead log (a commit no longer copies the log at every 1,000 pages: the server does it
every few seconds, which also bounds what a power cut could take back)."""

from __future__ import annotations

import shutil
import sqlite3
import time
from pathlib import Path

from fastapi.testclient import TestClient

from communicator.provisioning.server.api import create_app
from communicator.provisioning.server.state import CHECKPOINT_EVERY_S
from tests.server.conftest import Api, admin_token, make_config


def logins_in_the_database_file(db: Path, tmp: Path) -> set[str]:
    """The agents a copy of the database file alone holds (without its WAL)."""
    copy = tmp / "copy.sqlite3"
    shutil.copyfile(db, copy)
    with sqlite3.connect(copy) as conn:
        try:
            return {row[0] for row in conn.execute("SELECT login FROM agents")}
        except sqlite3.OperationalError:  # not even the tables yet
            return set()


def test_what_the_server_stored_reaches_the_database_file_within_seconds(tmp_path: Path) -> None:
    db = tmp_path / "server.sqlite3"
    cfg = make_config(f"sqlite:///{db}", tmp_path)
    with TestClient(create_app(cfg)) as client:
        api = Api(client, admin_token(cfg))
        api.agent("checkpointed")
        deadline = time.monotonic() + CHECKPOINT_EVERY_S * 5
        while "checkpointed" not in logins_in_the_database_file(db, tmp_path):
            assert time.monotonic() < deadline, "the agent is still only in the WAL"
            time.sleep(0.1)
