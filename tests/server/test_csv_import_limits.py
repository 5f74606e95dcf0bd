"""An accounts import (JSON API and console, SQLite and PostgreSQL) is bounded as the agents'
is: at most 20,000 rows, refused before any is applied; and a file whose rows are refused
stops at the first 100 refused rows instead of looking every later row up inside the write
transaction (50,000 rows past the free numbers held the write lock for over three minutes,
every other writer of the server waiting or refused meanwhile)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import make_config
from .console_probe import Console, html_page, open_console


@pytest.fixture
def console(db_url: str, tmp_path: Path) -> Iterator[Console]:
    cfg = make_config(db_url, tmp_path, extension_min=100, extension_max=109)
    with open_console(cfg) as opened:
        yield opened


def accounts_csv(n: int) -> bytes:
    rows = "".join(f"bulk-{i},pw-{i},127.0.0.1\n" for i in range(n))
    return ("sip_username,sip_password,sip_server\n" + rows).encode()


def api_import(console: Console, data: bytes) -> dict[str, object]:
    resp = console.c.post(
        "/api/v1/admin/accounts/import",
        content=data,
        headers={**console.api.h, "content-type": "text/csv"},
    )
    assert resp.status_code == 422, resp.text[:300]
    return dict(resp.json())


def listed(console: Console) -> list[object]:
    return list(console.api.ok(console.c.get("/api/v1/admin/accounts", headers=console.api.h)))


def test_more_than_20000_rows_are_refused_before_any_is_applied(console: Console) -> None:
    data = accounts_csv(20_001)
    assert "at most 20000 accounts" in str(api_import(console, data)["message"])
    resp = console.post(
        "/admin/csv/accounts-import", files={"file": ("bulk.csv", data, "text/csv")}
    )
    assert "at most 20000 accounts" in html_page(resp, 422)
    assert listed(console) == []


def test_refused_rows_stop_at_the_first_100(console: Console) -> None:
    body = api_import(console, accounts_csv(1_000))  # ten free numbers
    problems = body["problems"]
    assert isinstance(problems, list) and len(problems) == 100
    assert [p["line"] for p in problems] == list(range(12, 112))
    assert "the first 100 refused rows" in str(body["message"])
    assert listed(console) == []
