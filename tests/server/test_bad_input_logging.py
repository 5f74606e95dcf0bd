"""Nothing from a request reaches the log: an unexpected error is answered with a 500 and
logged by its type alone, never with uvicorn's traceback (whose SQL parameters carry logins
and numbers)."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
import psycopg
import pytest
from fastapi.testclient import TestClient

from communicator.provisioning.server.api import create_app
from communicator.provisioning.server.config import ServerConfig

from .conftest import LiveServer, PgCluster

SECRET = "secret-login-4711"


def test_escaped_error_is_a_quiet_500(
    config: ServerConfig, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(config, migrate=False)

    async def broken() -> None:
        raise RuntimeError(f"SELECT ... WHERE login = {SECRET!r}")

    app.add_api_route("/broken", broken)
    caplog.set_level(logging.DEBUG)
    # The default client re-raises whatever escapes the application: nothing may.
    with TestClient(app) as client:
        resp = client.get("/broken")
    assert resp.status_code == 500
    assert resp.json()["error"] == "internal"
    assert SECRET not in caplog.text
    assert "RuntimeError" in caplog.text


@pytest.mark.parametrize("access_log", [False, True])
def test_server_log_holds_no_request_data(
    pg_cluster: PgCluster, tmp_path: Path, access_log: bool
) -> None:
    db = pg_cluster.new_database()
    extra = ["--access-log"] if access_log else []
    server = LiveServer(db, tmp_path, *extra).start()
    try:
        dbname = db.rsplit("/", 1)[1]
        with psycopg.connect(
            f"host=127.0.0.1 port={pg_cluster.port} user=postgres dbname={dbname}",
            autocommit=True,
        ) as conn:
            # A schema the server does not expect: every sign-in fails inside the database.
            conn.execute("ALTER TABLE agents RENAME COLUMN login TO login_renamed")
        resp = httpx.post(
            f"{server.url}/api/v1/sessions", json={"login": SECRET, "password": "pw-9876543"}
        )
        assert resp.status_code == 500
        assert resp.json()["error"] == "internal"
        other = httpx.get(
            f"{server.url}/api/v1/admin/reports/calls",
            params={"agent": SECRET, "number": "+48221234567"},
        )
        assert other.status_code == 401
    finally:
        server.stop()
    text = server.log.read_text()
    assert "unexpected" in text  # the error is logged, by its type
    if access_log:
        assert "/api/v1/admin/reports/calls" in text  # the path, without its query
    for leaked in (SECRET, "pw-9876543", "+48221234567", "Traceback"):
        assert leaked not in text, text
