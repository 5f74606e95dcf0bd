"""A real provisioning server process (SQLite) with an admin API helper, for client tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.server.conftest import Api, LiveServer, admin_token, make_config


class Site:
    """A running server, its admin API, and a way to restart it on the same port and DB."""

    def __init__(self, tmp_path: Path) -> None:
        self.db_url = f"sqlite:///{tmp_path / 'server.sqlite3'}"
        self.server = LiveServer(self.db_url, tmp_path, "--heartbeat", "0.5").start()
        self.url = self.server.url
        self.http = httpx.Client(base_url=self.url, timeout=10.0)
        self.api = Api(self.http, admin_token(make_config(self.db_url, tmp_path)))

    def stop(self) -> None:
        self.server.stop()

    def start(self) -> None:
        self.server.start()

    def close(self) -> None:
        self.http.close()
        self.server.stop()


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    s = Site(tmp_path)
    try:
        yield s
    finally:
        s.close()
