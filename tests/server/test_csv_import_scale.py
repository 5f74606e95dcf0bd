"""Large CSV imports: the used extensions are read once (not at every row: the import was
quadratic, and 20,000 accounts held the database's write lock for minutes), and the whole file
is one change notice (not one per row for every process and open event stream to handle)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

from communicator.provisioning.server.config import ServerConfig
from tests.server.conftest import Api
from tests.server.console_probe import open_console

ROWS = 120


@contextmanager
def statements() -> Iterator[list[str]]:
    """Every SQL statement sent while the block runs."""
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        seen.append(" ".join(statement.split()))

    event.listen(Engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", note)


def notices(sent: list[str]) -> list[str]:
    """The change notices among ``sent`` (SQLite: an event row; PostgreSQL: a NOTIFY)."""
    return [s for s in sent if "INSERT INTO change_events" in s or "pg_notify" in s]


def used_extension_reads(sent: list[str]) -> list[str]:
    return [s for s in sent if s.startswith("SELECT voip_accounts.extension FROM voip_accounts")]


def import_accounts(api: Api, text: str) -> Any:
    return api.c.post(
        "/api/v1/admin/accounts/import",
        content=text.encode(),
        headers={**api.h, "Content-Type": "text/csv"},
    )


def test_an_accounts_import_reads_the_used_extensions_once_and_gives_one_notice(
    api: Api,
) -> None:
    taken = api.account(extension=102)
    # The file asks for 101 on its first row; the others take the next free ones around it.
    lines = ["sip_username,sip_password,sip_server,extension", "asked,pw-asked,10.0.0.1,101"]
    lines += [f"user{n},pw-{n},10.0.0.1," for n in range(ROWS - 1)]
    with statements() as sent:
        resp = import_accounts(api, "\r\n".join(lines) + "\r\n")
    assert api.ok(resp) == {"created": ROWS, "updated": 0}
    assert len(used_extension_reads(sent)) == 1, used_extension_reads(sent)
    assert len(notices(sent)) == 1, notices(sent)

    accounts = api.ok(api.c.get("/api/v1/admin/accounts", headers=api.h))
    extensions = {a["sip_username"]: a["extension"] for a in accounts}
    assert extensions[taken["sip_username"]] == 102
    assert extensions["asked"] == 101
    picked = [extensions[f"user{n}"] for n in range(ROWS - 1)]
    assert picked == [100, *range(103, 103 + ROWS - 2)]

    # Importing the same file again updates every row, still as one notice.
    with statements() as sent:
        resp = import_accounts(api, "\r\n".join(lines) + "\r\n")
    assert api.ok(resp) == {"created": 0, "updated": ROWS}
    assert len(notices(sent)) == 1, notices(sent)


def test_an_import_asking_for_a_used_extension_is_refused_whole(api: Api) -> None:
    api.account(extension=150)
    text = (
        "sip_username,sip_password,sip_server,extension\r\n"
        "fresh,pw-1,10.0.0.1,\r\n"
        "clash,pw-2,10.0.0.1,150\r\n"
        "twice,pw-3,10.0.0.1,160\r\n"
        "again,pw-4,10.0.0.1,160\r\n"
    )
    with statements() as sent:
        resp = import_accounts(api, text)
    assert resp.status_code == 422
    lines = {p["line"]: p["message"] for p in resp.json()["problems"]}
    assert lines == {
        3: "extension 150 is already in use",
        5: "extension 160 is already in use",
    }
    assert notices(sent) == []
    assert len(api.ok(api.c.get("/api/v1/admin/accounts", headers=api.h))) == 1


def test_an_agents_import_gives_one_notice(config: ServerConfig) -> None:
    with open_console(config) as console:
        group = console.api.group("Sales")
        lines = ["login,display_name,group,password"]
        lines += [f"agent{n},Agent {n},{group['name']},correct horse {n}" for n in range(12)]
        text = "\r\n".join(lines) + "\r\n"
        with statements() as sent:
            resp = console.post(
                "/admin/csv/agents-import", files={"file": ("a.csv", text.encode(), "text/csv")}
            )
        assert resp.status_code == 303, resp.text[:400]
        assert len(notices(sent)) == 1, notices(sent)
        agents = console.api.ok(console.c.get("/api/v1/admin/agents", headers=console.api.h))
        assert len(agents) == 12


def test_an_import_may_move_accounts_onto_numbers_it_frees(api: Api) -> None:
    """An exported file with every number moved down by one (in export order): each row
    takes the number the row before gave up."""
    api.account(sip_username="first", extension=101)
    api.account(sip_username="second", extension=102)
    text = (
        "sip_username,sip_password,sip_server,extension\r\n"
        "first,pw-1,10.0.0.1,100\r\n"
        "second,pw-2,10.0.0.1,101\r\n"
        "third,pw-3,10.0.0.1,\r\n"
    )
    resp = import_accounts(api, text)
    assert api.ok(resp) == {"created": 1, "updated": 2}
    accounts = api.ok(api.c.get("/api/v1/admin/accounts", headers=api.h))
    extensions = {a["sip_username"]: a["extension"] for a in accounts}
    # The freed 102 is not picked again within the import: the new row gets the next one.
    assert extensions == {"first": 100, "second": 101, "third": 103}
