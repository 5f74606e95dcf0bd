"""Console sessions without a browser: the Secure flag over HTTPS, expiry (absolute and
idle), the command that makes the first admin, and secrets kept out of the audit history."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from communicator.provisioning.server import db as db_mod
from communicator.provisioning.server.api import create_app
from communicator.provisioning.server.services import admin_users, audit
from tests.server.conftest import ROOT, make_config

from .conftest import ADMIN, ADMIN_PASSWORD, create_console_user


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'server.sqlite3'}"
    create_console_user(url, tmp_path / "data", ADMIN, ADMIN_PASSWORD)
    return url


@pytest.fixture
def https_client(db_url: str, tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(make_config(db_url, tmp_path), migrate=False)
    with TestClient(app, base_url="https://console.test") as client:
        yield client


def _post_sign_in(client: TestClient, password: str) -> httpx.Response:
    form = client.get("/admin/sign-in")
    token = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert token is not None
    return client.post(
        "/admin/sign-in",
        data={"csrf": token.group(1), "name": ADMIN, "password": password},
        follow_redirects=False,
    )


def _sign_in(client: TestClient) -> str:
    resp = _post_sign_in(client, ADMIN_PASSWORD)
    assert resp.status_code == 303, resp.text
    return resp.headers["set-cookie"]


def test_guessing_an_admin_password_is_limited(db_url: str, tmp_path: Path) -> None:
    app = create_app(make_config(db_url, tmp_path, signin_burst_per_agent=3), migrate=False)
    with TestClient(app) as client:
        for _ in range(3):
            assert _post_sign_in(client, "not the password").status_code == 401
        refused = _post_sign_in(client, ADMIN_PASSWORD)
        assert refused.status_code == 429
        assert "Too many failed sign-ins" in refused.text
        assert "communicator_admin=" not in refused.headers.get("set-cookie", "")


def test_over_https_the_session_cookie_is_secure(https_client: TestClient) -> None:
    cookie = _sign_in(https_client).lower()
    assert "communicator_admin=acs_" in cookie
    for flag in ("secure", "httponly", "samesite=strict", "path=/admin"):
        assert flag in cookie, cookie
    page = https_client.get("/admin/accounts")
    assert page.status_code == 200
    assert "script-src 'self'" in page.headers["content-security-policy"]


def test_sessions_end_after_their_lifetime_and_when_idle(db_url: str) -> None:
    engine = db_mod.make_engine(db_url, pool_size=1)
    try:
        with db_mod.make_sessionmaker(engine)() as s:
            token, info = admin_users.open_session(s, ADMIN, "127.0.0.1")
            s.commit()
            start = info.expires_at - admin_users.LIFETIME
            # Used every few minutes it lives until its lifetime ends, and not a moment after.
            now = start
            while now + admin_users.IDLE / 2 < info.expires_at:
                now += admin_users.IDLE / 2
                assert admin_users.lookup_session(s, token, now) is not None, now
            assert admin_users.lookup_session(s, token, info.expires_at) is None
            s.commit()
            # Unused for the idle limit, a fresh session ends too (and is deleted).
            token, info = admin_users.open_session(s, ADMIN, "127.0.0.1")
            s.commit()
            idle_end = info.expires_at - admin_users.LIFETIME + admin_users.IDLE
            assert admin_users.lookup_session(s, token, idle_end) is None
            assert admin_users.lookup_session(s, token, idle_end - admin_users.IDLE) is None
    finally:
        engine.dispose()


def test_create_user_refuses_a_short_password_and_a_second_user_of_the_same_name(
    db_url: str, tmp_path: Path
) -> None:
    def create(name: str, password: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "communicator.provisioning.server.cli",
                "admin",
                "create-user",
                name,
                "--db",
                db_url,
                "--data-dir",
                str(tmp_path / "data"),
            ],
            input=password + "\n",
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=60,
            check=False,
        )

    short = create("bob", "short")
    assert short.returncode == 1 and "at least 10 characters" in short.stderr
    again = create(ADMIN, "another long password")
    assert again.returncode == 1 and "already exists" in again.stderr
    ok = create("bob", "a long enough password")
    assert ok.returncode == 0 and ok.stdout.strip().isdigit()


def test_the_audit_never_holds_a_secret() -> None:
    changes = audit.diff(
        {"sip_password": "old-secret", "phone_number": "1"},
        {"sip_password": "new-secret", "phone_number": "2"},
        frozenset({"sip_password"}),
    )
    assert changes == {"phone_number": ["1", "2"], "sip_password": ["(hidden)", "(changed)"]}
    assert "secret" not in repr(changes)
