"""Admin tokens expire (configurable) and can be listed and revoked from the command line; a
revoked or expired token stops working at once, also on a server that has it cached."""

from __future__ import annotations

import datetime as dt
import io
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from communicator.provisioning.server import db as db_mod
from communicator.provisioning.server.api import create_app
from communicator.provisioning.server.cli import main
from communicator.provisioning.server.config import ServerConfig
from communicator.provisioning.server.models import AdminToken, utcnow

from .conftest import ROOT, make_config


@pytest.fixture
def cli(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Callable[..., tuple[int, str]]:
    def run(*args: str) -> tuple[int, str]:
        monkeypatch.setattr(sys, "stdin", io.StringIO(""))
        capsys.readouterr()
        code = main([*args, "--db", db_url, "--data-dir", str(tmp_path / "data")])
        out, err = capsys.readouterr()
        return code, out + err

    return run


def eventually(check: Callable[[], bool], timeout: float = 10.0) -> bool:
    """Polls ``check`` until it holds: the CLI's change reaches the server asynchronously
    (the change table is polled on SQLite, NOTIFY arrives on PostgreSQL)."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
    return True


def works(client: TestClient, token: str) -> bool:
    resp = client.get("/api/v1/admin/agents", headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code in (200, 401), resp.text
    return resp.status_code == 200


def test_list_and_revoke_from_the_cli(
    cli: Callable[..., tuple[int, str]], db_url: str, tmp_path: Path
) -> None:
    code, out = cli("admin", "create", "--name", "ops")
    assert code == 0
    ops = out.strip().splitlines()[-1]
    code, out = cli("admin", "create", "--name", "backup", "--expires-in-days", "7")
    assert code == 0
    backup = out.strip().splitlines()[-1]
    config = make_config(db_url, tmp_path)
    with TestClient(create_app(config, migrate=False)) as client:
        assert works(client, ops) and works(client, backup)  # both now cached by the server
        code, listing = cli("admin", "list")
        assert code == 0
        assert ops not in listing and backup not in listing  # tokens are never shown again
        lines = {ln.split()[1]: ln for ln in listing.splitlines()[1:] if ln.strip()}
        assert set(lines) == {"ops", "backup"}
        assert "active" in lines["ops"]
        backup_id = lines["backup"].split()[0]
        expires = dt.date.today() + dt.timedelta(days=7)
        assert expires.isoformat() in lines["backup"]
        # Its own process, as an administrator runs it: the server learns of it by the database.
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "communicator.provisioning.server.cli",
                "admin",
                "revoke",
                backup_id,
                "--db",
                db_url,
                "--data-dir",
                str(tmp_path / "data"),
            ],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert f"revoked {backup_id}" in done.stdout
        assert eventually(lambda: not works(client, backup))
        assert works(client, ops)
        code, listing = cli("admin", "list")
        assert "revoked" in next(ln for ln in listing.splitlines() if " backup " in ln)
        code, out = cli("admin", "revoke", "999999")
        assert code != 0
        assert "999999" in out


def test_admin_tokens_expire(cli: Callable[..., tuple[int, str]], config: ServerConfig) -> None:
    code, out = cli("admin", "create", "--name", "short")
    token = out.strip().splitlines()[-1]
    with TestClient(create_app(config, migrate=False)) as client:
        assert works(client, token)
        engine = db_mod.make_engine(config.db_url, pool_size=1)
        try:
            with db_mod.make_sessionmaker(engine)() as s:
                s.execute(
                    update(AdminToken)
                    .where(AdminToken.name == "short")
                    .values(expires_at=utcnow() - dt.timedelta(seconds=1))
                )
                s.commit()
        finally:
            engine.dispose()
    with TestClient(create_app(config, migrate=False)) as client:
        assert not works(client, token)
    code, listing = cli("admin", "list")
    assert code == 0
    assert "expired" in next(ln for ln in listing.splitlines() if " short " in ln)


def test_default_lifetime_is_configurable(cli: Callable[..., tuple[int, str]]) -> None:
    code, _out = cli("admin", "create", "--name", "forever", "--expires-in-days", "0")
    assert code != 0  # every admin token expires
    code, _out = cli("admin", "create", "--name", "year", "--expires-in-days", "365")
    assert code == 0
    code, listing = cli("admin", "list")
    year = (dt.date.today() + dt.timedelta(days=365)).isoformat()
    assert year in next(ln for ln in listing.splitlines() if " year " in ln)
    code, _out = cli("admin", "create", "--name", "default")
    code, listing = cli("admin", "list")
    default = (dt.date.today() + dt.timedelta(days=90)).isoformat()
    assert default in next(ln for ln in listing.splitlines() if " default " in ln)
