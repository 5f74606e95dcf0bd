"""An admin console signed in without a browser, for the probes of bad input (SQLite and
PostgreSQL through the ``config`` fixture): the app in-process, a console user made through
the service the ``admin create-user`` command calls, and its session's CSRF token."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient

from communicator.provisioning.server import db as db_mod
from communicator.provisioning.server.api import create_app
from communicator.provisioning.server.config import ServerConfig
from communicator.provisioning.server.security import hash_password
from communicator.provisioning.server.services import admin_users

from .conftest import Api, admin_token

ADMIN = "probe-admin"
PASSWORD = "probe password 123"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@dataclass
class Console:
    app: FastAPI
    c: TestClient
    csrf: str
    api: Api

    def get(self, url: str, **kw: Any) -> httpx.Response:
        return self.c.get(url, follow_redirects=False, **kw)

    @contextlib.contextmanager
    def outsider(self) -> Iterator[TestClient]:
        """The same client without this session's cookies (the app runs once per test: a
        second client would start its lifespan again); the session's cookies come back."""
        saved = httpx.Cookies(self.c.cookies)
        self.c.cookies = httpx.Cookies()
        try:
            yield self.c
        finally:
            self.c.cookies = saved

    def post(self, url: str, data: dict[str, Any] | None = None, **kw: Any) -> httpx.Response:
        """A form of this session (its CSRF token unless ``data`` names one)."""
        return self.c.post(
            url, data={"csrf": self.csrf, **(data or {})}, follow_redirects=False, **kw
        )


def create_admin(cfg: ServerConfig) -> None:
    engine = db_mod.make_engine(cfg.db_url, pool_size=1)
    try:
        with db_mod.make_sessionmaker(engine)() as s:
            admin_users.create_user(s, ADMIN, hash_password(PASSWORD))
            s.commit()
    finally:
        engine.dispose()


def sign_in(client: TestClient) -> str:
    """Signs ``client`` in through the sign-in form; returns the session's CSRF token."""
    form = client.get("/admin/sign-in")
    token = CSRF.search(form.text)
    assert token is not None, form.text
    resp = client.post(
        "/admin/sign-in",
        data={"csrf": token.group(1), "name": ADMIN, "password": PASSWORD},
        follow_redirects=False,
    )
    assert resp.status_code == 303, resp.text
    page = client.get("/admin/accounts")
    found = CSRF.search(page.text)
    assert page.status_code == 200 and found is not None, page.text
    return found.group(1)


def html_page(resp: httpx.Response, *codes: int) -> str:
    """A console page (HTML, not the API's JSON error body) with one of ``codes``."""
    assert resp.status_code in codes, (resp.status_code, resp.text[:400])
    assert resp.headers["content-type"].startswith("text/html"), resp.text[:400]
    return resp.text


@contextlib.contextmanager
def open_console(config: ServerConfig) -> Iterator[Console]:
    """The app with a console user, signed in (a test module's ``console`` fixture)."""
    create_admin(config)
    app = create_app(config, migrate=False)
    with TestClient(app) as client:
        yield Console(app, client, sign_in(client), Api(client, admin_token(config)))
