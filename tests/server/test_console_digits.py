"""Console numbers are ASCII digits: a page number, a count in an after-redirect message, a
group filter, an id or an extension written with other digits ("²", which ``str.isdigit``
accepts and ``int`` refuses) is no number, not a 500 (SQLite and PostgreSQL). The sign-in
page is reached before any session: an outsider's link must not fail it either."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from communicator.provisioning.server.config import ServerConfig

from .console_probe import Console, html_page, open_console

SUP = "²"


@pytest.fixture
def console(config: ServerConfig) -> Iterator[Console]:
    with open_console(config) as opened:
        yield opened


def test_the_sign_in_page_takes_any_message_count(console: Console) -> None:
    with console.outsider() as outsider:
        resp = outsider.get(f"/admin/sign-in?msg=created&n={SUP}")
    assert "Account created; pushed to 0 signed-in clients." in html_page(resp, 200)


@pytest.mark.parametrize(
    "url",
    [
        f"/admin/accounts?msg=deleted&n=1&p={SUP}",
        f"/admin/accounts?page={SUP}",
        f"/admin/agents?page={SUP}",
        f"/admin/audit?page={SUP}",
        f"/admin/pool?page={SUP}",
        f"/admin/board?group={SUP}&page={SUP}",
        f"/admin/reports?page={SUP}",
    ],
)
def test_pages_read_such_a_number_as_none(console: Console, url: str) -> None:
    html_page(console.get(url), 200)


def test_member_choices_leave_out_only_real_ids(console: Console) -> None:
    console.api.agent("digits-a")
    resp = console.get(f"/admin/member-choices?not={SUP}&not=999&q=digits")
    assert "digits-a" in html_page(resp, 200)


@pytest.mark.parametrize("what", ["accounts", "agents", "groups"])
def test_deleting_such_ids_deletes_nothing(console: Console, what: str) -> None:
    agent = console.api.agent("keeps-me")
    console.api.account(agent_id=agent["id"])
    console.api.group("keeps-us")
    resp = console.post(f"/admin/{what}/delete", {"ids": [SUP, f"1{SUP}"]})
    assert resp.status_code == 303, resp.text
    assert resp.headers["location"] == f"/admin/{what}"
    h = console.api.h
    for listed in ("accounts", "agents", "groups"):
        assert len(console.api.ok(console.c.get(f"/api/v1/admin/{listed}", headers=h))) == 1


def test_agent_editor_says_the_group_is_wrong(console: Console) -> None:
    resp = console.post(
        "/admin/agents/new",
        {"login": "sup-agent", "password": "long enough pw", "group_id": SUP},
    )
    html_page(resp, 422)
    agents = console.api.ok(console.c.get("/api/v1/admin/agents", headers=console.api.h))
    assert agents == []


def test_account_editor_says_the_numbers_are_wrong(console: Console) -> None:
    resp = console.post(
        "/admin/accounts/new",
        {
            "sip_username": "sup-account",
            "sip_password": "pw-secret",
            "sip_server": "127.0.0.1",
            "extension": SUP,
            "sip_port": SUP,
            "agent_id": SUP,
            "fw_no_answer_after_seconds": SUP,
        },
    )
    html_page(resp, 422)
    assert console.api.ok(console.c.get("/api/v1/admin/accounts", headers=console.api.h)) == []


def test_group_editor_takes_no_such_member_nor_move(console: Console) -> None:
    agent = console.api.agent("member-one")
    member = str(agent["id"])
    moved = console.post(
        "/admin/groups/new",
        {"name": "sup-group", "members": [member, SUP], "add": [SUP], "move": f"{SUP}:up"},
    )
    assert "member-one" in html_page(moved, 200)
    saved = console.post("/admin/groups/new", {"name": "sup-group", "members": [member, SUP]})
    assert saved.status_code == 303, saved.text
    groups = console.api.ok(console.c.get("/api/v1/admin/groups", headers=console.api.h))
    assert [g["members"] for g in groups] == [[agent["id"]]]
