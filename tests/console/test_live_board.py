"""The live board in a real Chromium against real server processes: agents sign in, report
their state and registration and sign out through the HTTP API, and the open page shows it by
itself (server-sent events), without a reload, also when the agent talks to another server
process than the admin's page."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.server.conftest import Api, LiveServer, admin_token, make_config

from .conftest import Console, sign_in

pytestmark = pytest.mark.slow

READY: dict[str, Any] = {
    "state": "ready",
    "reason": None,
    "registration": {
        "registered": True,
        "contact": "192.0.2.10:5062",
        "transport": "udp",
        "expires": 30,
        "server": "pbx.example.com:5060",
    },
}


def _report(api: Api, token: str, body: dict[str, Any]) -> None:
    api.ok(api.c.put("/api/v1/agent/status", json=body, headers=api.bearer(token)))


def _open_board(page: Page) -> None:
    sign_in(page)
    page.get_by_role("link", name="Live board").click()
    expect(page.get_by_role("heading", name="Live board")).to_be_visible()
    expect(page.locator("#board-status")).to_have_text(
        "Live: the board updates as agents change state."
    )
    # A mark that a reload would wipe: the page must still carry it at the end.
    page.evaluate("window.boardMark = 'not reloaded'")


def _not_reloaded(page: Page) -> None:
    assert page.evaluate("window.boardMark") == "not reloaded"


def test_the_board_follows_an_agent_signing_in_changing_state_and_signing_out(
    page: Page, console: Console
) -> None:
    api = console.api
    group = api.group("Support")
    pat = api.agent("pat", display_name="Pat Lee", group_id=group["id"])
    api.account(pat["id"], extension=321)
    _open_board(page)
    expect(page.locator("table.board tbody")).to_have_text("No agent is signed in.")

    token = api.sign_in("pat")["token"]
    row = page.locator(f"#agent-{pat['id']}")
    expect(row).to_contain_text("Pat Lee")
    expect(row.locator("td[data-label='State']")).to_have_text("Not reported yet")
    expect(row.locator("td[data-label='Group']")).to_have_text("Support")
    expect(row.locator("td[data-label='Extension']")).to_have_text("321")

    _report(api, token, READY)
    expect(row.locator("td[data-label='State']")).to_have_text("Ready")
    expect(row.locator("td[data-label='Phone']")).to_have_text("Registered")
    expect(row.locator("td[data-label='Contact address']")).to_have_text("192.0.2.10")
    expect(row.locator("td[data-label='Port']")).to_have_text("5062")
    expect(row.locator("td[data-label='Transport']")).to_have_text("UDP")
    expect(row.locator("td[data-label='Expiry']")).to_contain_text("30 s")
    expect(row.locator("td[data-label='Server']")).to_have_text("pbx.example.com:5060")
    expect(page.locator(".summary .state-ready dd")).to_have_text("1")

    # Time in state ticks in the page (the script counts from the state's start).
    elapsed = row.locator("time.js-elapsed")
    first = elapsed.inner_text()
    expect(elapsed).not_to_have_text(first)

    _report(api, token, {**READY, "state": "not_ready", "reason": "lunch"})
    expect(row.locator("td[data-label='State']")).to_have_text("Not ready lunch")
    _report(api, token, {**READY, "state": "on_call"})
    expect(row.locator("td[data-label='Call']")).to_have_text("In progress")
    expect(page.locator(".summary .state-on_call dd")).to_have_text("1")

    # The phone loses its registration: the board says so, with no data for the contact.
    _report(api, token, {"state": "on_call", "registration": {"registered": False}})
    expect(row.locator("td[data-label='Phone']")).to_have_text("Not registered")
    expect(row.locator("td[data-label='Contact address']")).to_have_text("no data")

    api.ok(api.c.delete("/api/v1/sessions/current", headers=api.bearer(token)), 204)
    expect(row).to_have_count(0)
    expect(page.locator("table.board tbody")).to_have_text("No agent is signed in.")
    _not_reloaded(page)


def test_the_board_follows_an_agent_served_by_another_server_process(
    page: Page, console: Console, tmp_path: Path
) -> None:
    """The agent signs in and reports to a second server process on the same database; the
    page served by the first learns it through the change notifications."""
    other = LiveServer(console.db_url, tmp_path, "--heartbeat", "0.5", name="other").start()
    try:
        with httpx.Client(base_url=other.url, timeout=10.0) as client:
            api = Api(client, admin_token(make_config(console.db_url, tmp_path)))
            ann = api.agent("ann", display_name="Ann Other")
            api.account(ann["id"])
            _open_board(page)
            token = api.sign_in("ann")["token"]
            row = page.locator(f"#agent-{ann['id']}")
            expect(row).to_contain_text("Ann Other")
            _report(api, token, {**READY, "state": "not_ready", "reason": "break"})
            expect(row.locator("td[data-label='State']")).to_have_text("Not ready break")
            api.ok(api.c.delete("/api/v1/sessions/current", headers=api.bearer(token)), 204)
            expect(row).to_have_count(0)
            _not_reloaded(page)
    finally:
        other.stop()


def test_the_board_stream_needs_a_console_session(console: Console) -> None:
    with httpx.Client(base_url=console.url) as client:
        resp = client.get("/admin/board/events")
    assert resp.status_code == 303
    assert resp.headers["location"].startswith("/admin/sign-in")


def test_the_board_shows_the_chosen_group_and_keeps_to_it_when_it_updates(
    page: Page, console: Console
) -> None:
    api = console.api
    support, sales = api.group("Support"), api.group("Sales")
    for login, group in (("pat", support), ("sam", sales), ("sue", support)):
        api.account(api.agent(login, group_id=group["id"])["id"])
    pat = api.sign_in("pat")["token"]
    api.sign_in("sam")
    _open_board(page)
    page.get_by_label("Group").select_option(label="Support")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#board-status")).to_have_text(
        "Live: the board updates as agents change state."
    )
    page.evaluate("window.boardMark = 'not reloaded'")
    names = page.locator("table.board tbody th")
    expect(names).to_have_text([re.compile(r"^Pat pat$")])
    expect(page.locator(".summary dt:text-is('Signed in') + dd")).to_have_text("1")
    # A keyboard user on an agent's link keeps the focus while the board updates.
    page.get_by_role("link", name="Pat", exact=True).focus()
    api.sign_in("sue")
    expect(names).to_have_text([re.compile(r"^Pat pat$"), re.compile(r"^Sue sue$")])
    assert page.evaluate("document.activeElement.textContent") == "Pat"
    assert page.evaluate("document.activeElement.getAttribute('href')").startswith("/admin/agents/")
    _report(api, pat, READY)
    expect(page.locator("table.board tbody tr").first).to_contain_text("Ready")
    assert "Sam" not in page.locator("table.board").inner_text()
    _not_reloaded(page)
