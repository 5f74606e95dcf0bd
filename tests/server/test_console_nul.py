"""NUL characters in console forms (SQLite and PostgreSQL): refused beside the field on the
editor's page, as the JSON API refuses them in a body, instead of stored on SQLite and
answered with the API's JSON error on PostgreSQL (which cannot store them). The sign-in form
reads such a name as no admin's."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from communicator.provisioning.server.config import ServerConfig

from .console_probe import CSRF, Console, html_page, open_console

NUL_ERROR = "NUL characters"


@pytest.fixture
def console(config: ServerConfig) -> Iterator[Console]:
    with open_console(config) as opened:
        yield opened


def listed(console: Console, what: str) -> list[dict[str, Any]]:
    return list(console.api.ok(console.c.get(f"/api/v1/admin/{what}", headers=console.api.h)))


@pytest.mark.parametrize(
    ("what", "fields"),
    [
        ("agents", {"login": "nul-agent", "display_name": "A\x00B", "password": "long enough pw"}),
        ("agents", {"login": "nul-agent", "password": "long enough\x00pw"}),
        ("groups", {"name": "nul\x00group"}),
        ("groups", {"name": "nul-group", "screen_pop_url": "https://crm.example/\x00"}),
        ("accounts", {"sip_username": "nul", "sip_password": "pw", "sip_server": "h\x00"}),
        (
            "accounts",
            {
                "sip_username": "nul",
                "sip_password": "pw",
                "sip_server": "h",
                "fw_always_enabled": "on",
                "fw_always_target": "1\x002",
            },
        ),
    ],
)
def test_a_nul_in_a_new_item_is_shown_beside_its_field(
    console: Console, what: str, fields: dict[str, str]
) -> None:
    page = html_page(console.post(f"/admin/{what}/new", fields), 422)
    assert NUL_ERROR in page
    assert listed(console, what) == []


def test_a_nul_in_an_edit_changes_nothing(console: Console) -> None:
    agent = console.api.agent("clean", display_name="Clean")
    page = html_page(
        console.post(f"/admin/agents/{agent['id']}", {"login": "clean", "display_name": "X\x00"}),
        422,
    )
    assert NUL_ERROR in page
    assert [a["display_name"] for a in listed(console, "agents")] == ["Clean"]


def test_a_members_search_with_a_nul_finds_nobody_new(console: Console) -> None:
    console.api.agent("findable")
    page = html_page(console.post("/admin/groups/new", {"find": "1", "member_q": "\x00"}), 200)
    assert "findable" in page
    assert listed(console, "groups") == []


def test_sign_in_with_a_nul_in_the_name_is_a_wrong_name(console: Console) -> None:
    with console.outsider() as outsider:
        form = outsider.get("/admin/sign-in")
        token = CSRF.search(form.text)
        assert token is not None
        resp = outsider.post(
            "/admin/sign-in",
            data={"csrf": token.group(1), "name": "probe\x00admin", "password": "x\x00y"},
            follow_redirects=False,
        )
    assert "The name or the password is wrong." in html_page(resp, 401)
