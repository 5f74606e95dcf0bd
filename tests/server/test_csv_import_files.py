"""CSV imports of files as spreadsheets and clumsy admins write them (console and JSON API,
SQLite and PostgreSQL): line ends of a classic Mac (CR alone), a quoted cell over two lines,
a cell larger than Python's csv field limit (128 KiB). Each is imported or refused with the
import's own answer (a row's problem), never a 500."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from communicator.provisioning.server.config import ServerConfig

from .console_probe import Console, html_page, open_console

AGENTS_CR = "login,display_name,password\rmac-agent,Mac Agent,long enough pw\r"
ACCOUNTS_CR = "sip_username,sip_password,sip_server\rmac-account,pw-secret,127.0.0.1\r"
BIG = "x" * 200_000


@pytest.fixture
def console(config: ServerConfig) -> Iterator[Console]:
    with open_console(config) as opened:
        yield opened


def upload(console: Console, which: str, text: str) -> httpx.Response:
    return console.post(
        f"/admin/csv/{which}-import", files={"file": ("import.csv", text.encode(), "text/csv")}
    )


def api_import(console: Console, text: str) -> httpx.Response:
    return console.c.post(
        "/api/v1/admin/accounts/import",
        content=text.encode(),
        headers={**console.api.h, "content-type": "text/csv"},
    )


def listed(console: Console, what: str) -> list[str]:
    rows = console.api.ok(console.c.get(f"/api/v1/admin/{what}", headers=console.api.h))
    key = "login" if what == "agents" else "sip_username"
    return sorted(r[key] for r in rows)


def test_agents_with_cr_line_ends_are_imported(console: Console) -> None:
    resp = upload(console, "agents", AGENTS_CR)
    assert resp.status_code == 303, resp.text[:400]
    assert listed(console, "agents") == ["mac-agent"]


@pytest.mark.parametrize("how", ["console", "api"])
def test_accounts_with_cr_line_ends_are_imported(console: Console, how: str) -> None:
    if how == "console":
        assert upload(console, "accounts", ACCOUNTS_CR).status_code == 303
    else:
        assert console.api.ok(api_import(console, ACCOUNTS_CR)) == {"created": 1, "updated": 0}
    assert listed(console, "accounts") == ["mac-account"]


def test_a_quoted_cell_over_two_lines_keeps_its_line_break(console: Console) -> None:
    text = 'login,display_name,password\r\nml-agent,"Two\nLines",long enough pw\r\n'
    assert upload(console, "agents", text).status_code == 303
    agents = console.api.ok(console.c.get("/api/v1/admin/agents", headers=console.api.h))
    assert [a["display_name"] for a in agents] == ["Two\nLines"]


def test_a_cell_past_the_csv_field_limit_is_a_row_problem(console: Console) -> None:
    page = html_page(upload(console, "agents", f"login,display_name\nbig,{BIG}\n"), 422)
    assert "Nothing was imported" in page
    page = html_page(upload(console, "accounts", f"sip_username,sip_server\nbig,{BIG}\n"), 422)
    assert "Nothing was imported" in page
    resp = api_import(console, f"sip_username,sip_server\nbig,{BIG}\n")
    assert resp.status_code == 422, resp.text[:400]
    assert resp.json()["problems"][0]["line"] == 2
    assert listed(console, "agents") == [] and listed(console, "accounts") == []
