"""A real provisioning server process with an admin console user, and Debian's Chromium
driven by Playwright (never a downloaded browser; nothing fetched at run time)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.server.conftest import ROOT, Api, LiveServer, admin_token, make_config

CHROMIUM = os.environ.get("COMMUNICATOR_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ADMIN = "alice"
ADMIN_PASSWORD = "correct horse battery"


def create_console_user(db_url: str, data_dir: Path, name: str, password: str) -> None:
    """Through the command an admin runs first: ``communicator-server admin create-user``."""
    subprocess.run(
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
            str(data_dir),
            "--password-env",
            "CONSOLE_PASSWORD",
        ],
        check=True,
        capture_output=True,
        env={**os.environ, "PYTHONPATH": str(ROOT), "CONSOLE_PASSWORD": password},
        cwd=ROOT,
        timeout=60,
    )


@dataclass
class Console:
    url: str
    api: Api
    db_url: str


@pytest.fixture
def console(tmp_path: Path) -> Iterator[Console]:
    db_url = f"sqlite:///{tmp_path / 'server.sqlite3'}"
    create_console_user(db_url, tmp_path / "data", ADMIN, ADMIN_PASSWORD)
    server = LiveServer(db_url, tmp_path, "--heartbeat", "0.5").start()
    try:
        with httpx.Client(base_url=server.url, timeout=10.0) as client:
            yield Console(
                server.url, Api(client, admin_token(make_config(db_url, tmp_path))), db_url
            )
    finally:
        server.stop()


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """One Chromium for the console's tests. Package scope, not session: while Playwright's sync
    API is open, its asyncio loop counts as running in the main thread, and every later test
    of the session that runs a loop of its own (asyncio.run) would fail."""
    if shutil.which(CHROMIUM) is None:
        pytest.skip("Debian's chromium is not installed; `make test` installs it")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser: Browser, console: Console) -> Iterator[Page]:
    context = browser.new_context(base_url=console.url)
    context.set_default_timeout(15_000)
    pg = context.new_page()
    try:
        yield pg
    finally:
        context.close()


def sign_in(page: Page, name: str = ADMIN, password: str = ADMIN_PASSWORD) -> None:
    page.goto("/admin/accounts")
    page.get_by_label("Name").fill(name)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
