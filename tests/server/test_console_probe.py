"""The console probed as an attacker and a clumsy admin would (SQLite and PostgreSQL), on the
cases that already hold: member and list searches with LIKE's wildcards and backslashes, the
CSRF token of another session, repeated and wrongly typed forms, 100 kB fields, and CSV
files in other encodings, empty, of 50,000 rows, of 10,000 columns or with formula cells.
Each is answered with a 4xx or done as asked, never a 500; nothing sent reaches the log."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import httpx
import pytest

from communicator.provisioning.server.config import ServerConfig

from .console_probe import Console, html_page, open_console, sign_in

SECRET = "probe-secret-4711"


@pytest.fixture
def console(config: ServerConfig) -> Iterator[Console]:
    with open_console(config) as opened:
        yield opened


def upload(console: Console, which: str, data: bytes) -> httpx.Response:
    return console.post(
        f"/admin/csv/{which}-import", files={"file": ("import.csv", data, "text/csv")}
    )


def names(console: Console, what: str, key: str) -> list[str]:
    rows = console.api.ok(console.c.get(f"/api/v1/admin/{what}", headers=console.api.h))
    return sorted(str(r[key]) for r in rows)


def test_searches_take_wildcards_and_backslashes_as_text(console: Console) -> None:
    for login, name in (
        ("pct", "Fifty% Off"),
        ("und", "Under_Score"),
        ("bsl", "Back\\Slash"),
        ("plain", "Plain Name"),
    ):
        console.api.agent(login, display_name=name)
    for text, found in (("%", "Fifty% Off"), ("_", "Under_Score"), ("\\", "Back\\Slash")):
        for url in ("/admin/member-choices", "/admin/agents", "/admin/accounts", "/admin/groups"):
            page = html_page(console.get(url, params={"q": text}), 200)
            if url in ("/admin/member-choices", "/admin/agents"):
                assert found in page, (url, text)
                assert "Plain Name" not in page, (url, text)


def test_a_form_with_another_sessions_token_is_refused(console: Console) -> None:
    agent = console.api.agent("kept")
    with console.outsider() as other:
        other_token = sign_in(other)
    for token in (other_token, "", "x" * 100_000):
        resp = console.post("/admin/agents/delete", {"csrf": token, "ids": [str(agent["id"])]})
        assert "did not come from this console" in html_page(resp, 403)
    resp = console.c.post(
        "/admin/agents/delete", data={"ids": [str(agent["id"])]}, follow_redirects=False
    )
    html_page(resp, 403)
    assert names(console, "agents", "login") == ["kept"]


@pytest.mark.parametrize(
    ("ctype", "body"),
    [
        ("application/json", b'{"csrf": "x", "name": "g"}'),
        ("text/plain", b"csrf=x&name=g"),
        ("multipart/form-data", b"--x\r\n"),
        ("multipart/form-data; boundary=x", b"garbage"),
        ("application/x-www-form-urlencoded", b"%%%&&&==="),
    ],
)
def test_forms_of_other_types_are_refused(console: Console, ctype: str, body: bytes) -> None:
    resp = console.c.post(
        "/admin/groups/new", content=body, headers={"content-type": ctype}, follow_redirects=False
    )
    assert 400 <= resp.status_code < 500, (resp.status_code, resp.text[:300])
    assert names(console, "groups", "name") == []


def test_repeated_and_huge_fields(console: Console) -> None:
    resp = console.c.post(
        "/admin/groups/new",
        data={"csrf": [console.csrf, console.csrf], "name": ["first", "second"]},
        follow_redirects=False,
    )
    assert resp.status_code == 303, resp.text[:300]
    big = "x" * 100_000
    for url, fields in (
        ("/admin/groups/new", {"name": big, "email": big, "screen_pop_url": big}),
        ("/admin/agents/new", {"login": big, "display_name": big, "password": big}),
        ("/admin/accounts/new", {"sip_username": big, "sip_server": big, "codecs": big}),
    ):
        html_page(console.post(url, fields), 422)
    html_page(console.get("/admin/member-choices", params={"q": big[:8000]}), 200)


@pytest.mark.parametrize(
    "data",
    [
        "login,display_name\nlat,Zoë\n".encode("latin-1"),
        "login,display_name\nu16,Zoë\n".encode("utf-16"),
        b"",
        b"\xef\xbb\xbf",
        b"\r\n\r\n",
    ],
)
@pytest.mark.parametrize("which", ["agents", "accounts"])
def test_csv_files_not_utf8_or_empty_are_refused(console: Console, which: str, data: bytes) -> None:
    assert "Nothing was imported" in html_page(upload(console, which, data), 422)


def test_csv_with_a_bom_and_formula_cells_keeps_the_values(console: Console) -> None:
    text = '\ufefflogin,display_name,password\nf1,"=HYPERLINK(""http://x"")",long enough pw\n'
    text += "f2,'=1+1,long enough pw\nf3,+48 22 123,long enough pw\n"
    assert upload(console, "agents", text.encode()).status_code == 303
    assert names(console, "agents", "display_name") == [
        "+48 22 123",
        "=1+1",
        '=HYPERLINK("http://x")',
    ]
    exported = console.post("/admin/csv/agents.csv").text
    assert "'=HYPERLINK" in exported and "'=1+1" in exported and "'+48 22 123" in exported


def test_csv_of_10000_columns_or_50000_rows_is_refused(console: Console) -> None:
    extra = ",".join(f"c{i}" for i in range(10_000))
    for which, first in (("agents", "login"), ("accounts", "sip_username")):
        wide = f"{first},{extra}\nw{',' * 10_000}\n"
        assert "unknown column" in html_page(upload(console, which, wide.encode()), 422)
    long = "login\n" + "".join(f"r{i}\n" for i in range(50_000))
    assert "at most 20000" in html_page(upload(console, "agents", long.encode()), 422)
    assert names(console, "agents", "login") == []


def test_nothing_sent_reaches_the_log(console: Console, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    console.get("/admin/reports", params={"agent": SECRET, "number": "+48221234567"})
    console.get("/admin/member-choices", params={"q": SECRET})
    console.post("/admin/agents/new", {"login": SECRET, "password": "short"})
    console.post("/admin/groups/new", {"name": SECRET, "extension": "1" * 30})
    upload(console, "agents", f"login,password\n{SECRET},x\n".encode())
    with console.outsider() as outsider:
        outsider.post("/admin/sign-in", data={"csrf": "x", "name": SECRET, "password": SECRET})
    # The server's records (the test's own HTTP client logs the URLs it asks for).
    server = [r for r in caplog.records if not r.name.startswith("httpx")]
    text = "\n".join(f"{r.getMessage()} {r.exc_text or ''}" for r in server)
    for leaked in (SECRET, "+48221234567", "Traceback"):
        assert leaked not in text, text
