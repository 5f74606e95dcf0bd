"""Console paths and forms with ids no row can have (negative, zero, past 32 and 64 bits):
the console's "not found" page or nothing done, never a 500 (SQLite refuses to bind an
integer past 64 bits; PostgreSQL compares it as a numeric)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from communicator.provisioning.server.config import ServerConfig

from .console_probe import Console, html_page, open_console

IDS = ["-1", "0", "2147483648", "9223372036854775808", "99999999999999999999"]


@pytest.fixture
def console(config: ServerConfig) -> Iterator[Console]:
    with open_console(config) as opened:
        yield opened


@pytest.mark.parametrize("bad", IDS)
@pytest.mark.parametrize("what", ["accounts", "agents", "groups"])
def test_editors_of_no_such_id_are_not_found(console: Console, what: str, bad: str) -> None:
    html_page(console.get(f"/admin/{what}/{bad}"), 404)
    fields = {
        "accounts": {"sip_username": "ghost", "sip_password": "pw", "sip_server": "h"},
        "agents": {"login": "ghost", "display_name": "Ghost"},
        "groups": {"name": "ghost"},
    }[what]
    html_page(console.post(f"/admin/{what}/{bad}", fields), 404)


@pytest.mark.parametrize("bad", IDS)
def test_releasing_no_such_number_is_not_found(console: Console, bad: str) -> None:
    html_page(console.post(f"/admin/pool/{bad}/release"), 404)


@pytest.mark.parametrize("what", ["accounts", "agents", "groups"])
def test_deleting_no_such_ids_deletes_nothing(console: Console, what: str) -> None:
    agent = console.api.agent("stays")
    console.api.account(agent_id=agent["id"])
    console.api.group("stays-too")
    resp = console.post(f"/admin/{what}/delete", {"ids": IDS})
    assert resp.status_code == 303, resp.text
    h = console.api.h
    for listed in ("accounts", "agents", "groups"):
        assert len(console.api.ok(console.c.get(f"/api/v1/admin/{listed}", headers=h))) == 1


def test_member_choices_leave_out_ids_past_any_row(console: Console) -> None:
    console.api.agent("listed")
    resp = console.get("/admin/member-choices", params={"q": "listed", "not": IDS})
    assert "listed" in html_page(resp, 200)
