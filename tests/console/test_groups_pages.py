"""The Groups pages in a real Chromium against a real server process: a group made through
the form with members, their call order changed from the keyboard alone (and without
script), members found by a search the server answers (and without script), validation
errors beside the field, delete, a forged form, the audit entries."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from .conftest import Console, sign_in

pytestmark = pytest.mark.slow


def group_json(console: Console, name: str) -> dict[str, Any]:
    rows = console.api.ok(console.api.c.get("/api/v1/admin/groups", headers=console.api.h))
    (group,) = [g for g in rows if g["name"] == name]
    return dict(group)


def test_make_a_group_with_members_and_reorder_them_from_the_keyboard(
    page: Page, console: Console
) -> None:
    ids = {
        login: console.api.agent(login, display_name=login.title())["id"]
        for login in ("anna", "ben", "carl")
    }
    console.api.agent("dora", display_name="Dora")
    console.api.agent("dan", display_name="Dan")
    backup = console.api.group("Backup")
    sign_in(page)
    page.get_by_role("link", name="Groups", exact=True).click()
    page.get_by_role("link", name="Add group").click()
    page.get_by_label("Name", exact=True).fill("Sales")
    page.get_by_label("Call order in group").select_option(
        label="In order (each for the ring time)"
    )
    page.get_by_label("Ring time (seconds)").fill("15")
    page.get_by_label("Overflow group").select_option(label="Backup")
    for login in ("anna", "ben", "carl"):
        page.get_by_label(f"{login.title()} ({login})").check()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("p.flash")).to_have_text("Group created; pushed to 0 signed-in clients.")
    sales = group_json(console, "Sales")
    assert sales["members"] == [ids["anna"], ids["ben"], ids["carl"]]
    assert sales["call_order"] == "in_order"
    assert sales["ring_time_s"] == 15
    assert sales["overflow_group_id"] == backup["id"]
    assert sales["extension"] is not None  # the next free one

    # Carl to the top and Anna down one, from the keyboard alone; the focus stays on the
    # button pressed, and the new place is announced.
    members = page.locator("ol.member-list li.member .member-name")
    expect(members).to_have_text(["Anna", "Ben", "Carl"])
    up = page.get_by_role("button", name="Move Carl up")
    up.focus()
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")
    expect(members).to_have_text(["Carl", "Anna", "Ben"])
    expect(up).to_be_focused()
    expect(page.locator("#order-status")).to_have_text(
        "Carl: position 1 of 3. Save to keep the order."
    )
    page.keyboard.press("Tab")  # Move Carl down
    page.keyboard.press("Tab")  # Anna's box
    page.keyboard.press("Tab")  # Move Anna up
    page.keyboard.press("Tab")  # Move Anna down
    expect(page.get_by_role("button", name="Move Anna down")).to_be_focused()
    page.keyboard.press("Space")
    expect(members).to_have_text(["Carl", "Ben", "Anna"])
    # The members search filters as one types; Enter there does not save.
    search = page.get_by_label("Search for members")
    search.fill("dor")
    search.press("Enter")
    expect(page.locator("#add-list li:visible")).to_have_text(["Dora (dora)"])
    # Still the message of creating it: the form was not posted.
    expect(page.locator("p.flash")).to_have_text("Group created; pushed to 0 signed-in clients.")
    expect(members).to_have_text(["Carl", "Ben", "Anna"])  # nothing reloaded
    # Ben leaves the group: his box cleared with the keyboard.
    page.get_by_label("Ben (ben)").focus()
    page.keyboard.press("Space")
    page.get_by_role("button", name="Save", exact=True).focus()
    page.keyboard.press("Enter")
    expect(page.locator("p.flash")).to_have_text("Group saved; pushed to 0 signed-in clients.")
    expect(members).to_have_text(["Carl", "Anna"])
    assert group_json(console, "Sales")["members"] == [ids["carl"], ids["anna"]]

    page.get_by_role("link", name="Audit history").click()
    entry = page.locator("table.audit tbody tr").first
    expect(entry).to_contain_text("Sales")
    expect(entry).to_contain_text("members")


def test_the_member_search_asks_the_server_and_keeps_what_is_ticked(
    page: Page, console: Console
) -> None:
    """With more agents than the editor lists, the rest are found by searching (the server
    answers each search); ticked agents stay ticked across searches and join on Save."""
    ids = {
        n: console.api.agent(f"agent{n:02d}", display_name=f"Agent {n:02d}")["id"]
        for n in range(25)
    }
    sign_in(page)
    page.goto("/admin/groups/new")
    page.get_by_label("Name", exact=True).fill("Big")
    choices = page.locator("#add-list li")
    expect(choices).to_have_count(20)  # not all 25
    said = page.locator("#add-status")
    expect(said).to_have_text("The first 20 of 25 other agents are shown: search to find the rest.")
    expect(page.get_by_label("Agent 24 (agent24)")).to_have_count(0)
    # From the keyboard: type, Enter searches (it does not save), Tab past Find to the match.
    search = page.get_by_label("Search for members")
    search.fill("agent24")
    search.press("Enter")
    expect(choices).to_have_text(["Agent 24 (agent24)"])
    expect(said).to_have_text("1 agent matches “agent24”.")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Find")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_label("Agent 24 (agent24)")).to_be_focused()
    page.keyboard.press("Space")
    # A second search, typed: the ticked agent stays, first; the new matches follow.
    search.fill("")
    search.type("ent0")
    expect(said).to_have_text("10 agents match “ent0”.")
    expect(choices).to_have_count(11)
    expect(choices.first).to_have_text("Agent 24 (agent24)")
    expect(page.get_by_label("Agent 24 (agent24)")).to_be_checked()
    page.get_by_label("Agent 03 (agent03)").check()
    search.fill("nobody")
    search.press("Enter")
    expect(said).to_have_text("No other agent matches “nobody”.")
    expect(choices).to_have_text(["Agent 24 (agent24)", "Agent 03 (agent03)"])
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("p.flash")).to_have_text("Group created; pushed to 0 signed-in clients.")
    assert group_json(console, "Big")["members"] == [ids[24], ids[3]]
    # The members are left out of the search.
    search = page.get_by_label("Search for members")
    search.fill("agent")
    search.press("Enter")
    expect(said).to_have_text("23 agents match “agent”; the first 20 are shown.")
    # Once the console session has ended, the search says so (not the sign-in page's HTML).
    page.context.clear_cookies()
    search.fill("agent1")
    search.press("Enter")
    expect(said).to_have_text("Your console session ended: reload the page to sign in again.")
    expect(page.locator("#add-list li")).to_have_count(20)  # the last answer's agents stay


def test_the_member_search_works_without_script(browser: Browser, console: Console) -> None:
    for n in range(25):
        console.api.agent(f"agent{n:02d}", display_name=f"Agent {n:02d}")
    group = console.api.group("Support")
    context = browser.new_context(base_url=console.url, java_script_enabled=False)
    try:
        page = context.new_page()
        sign_in(page)
        page.goto(f"/admin/groups/{group['id']}")
        page.get_by_label("Search for members").fill("agent24")
        page.get_by_role("button", name="Find").click()
        expect(page.locator("p.flash")).to_have_text("Not saved yet.")
        expect(page.locator("#add-list li")).to_have_text(["Agent 24 (agent24)"])
        expect(page.get_by_label("Search for members")).to_be_focused()
        page.get_by_label("Agent 24 (agent24)").check()
        page.get_by_role("button", name="Save", exact=True).click()
        expect(page.locator("p.flash")).to_have_text("Group saved; pushed to 0 signed-in clients.")
        expect(page.locator("ol.member-list .member-name")).to_have_text(["Agent 24"])
    finally:
        context.close()


def test_call_order_buttons_work_without_script(browser: Browser, console: Console) -> None:
    ids = [console.api.agent(login)["id"] for login in ("anna", "ben")]
    group = console.api.group("Support", members=ids)
    context = browser.new_context(base_url=console.url, java_script_enabled=False)
    try:
        page = context.new_page()
        sign_in(page)
        page.goto(f"/admin/groups/{group['id']}")
        page.get_by_role("button", name="Move Ben up").click()
        expect(page.locator("p.flash")).to_have_text("Call order changed; Save to keep it.")
        expect(page.locator("ol.member-list .member-name")).to_have_text(["Ben", "Anna"])
        assert group_json(console, "Support")["members"] == ids  # not saved yet
        page.get_by_role("button", name="Save", exact=True).click()
        expect(page.locator("p.flash")).to_have_text("Group saved; pushed to 0 signed-in clients.")
        assert group_json(console, "Support")["members"] == ids[::-1]
    finally:
        context.close()


def test_validation_errors_appear_beside_their_fields(page: Page, console: Console) -> None:
    taken = console.api.group("Taken")
    sign_in(page)
    page.goto("/admin/groups/new")
    page.get_by_label("Name", exact=True).fill("")
    page.get_by_label("Ring time (seconds)").fill("1")
    page.get_by_label("Maximum queue size").fill("many")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("The group was not saved")
    expect(page.locator("#error-f-name")).to_be_visible()
    expect(page.locator("#error-f-ring_time_s")).to_contain_text("greater than or equal to 5")
    expect(page.locator("#error-f-max_queue_size")).to_contain_text("integer")
    expect(page.get_by_label("Maximum queue size")).to_have_value("many")  # kept as typed
    expect(page.get_by_label("Ring time (seconds)")).to_have_attribute("aria-invalid", "true")

    # The services' refusals land beside their field too: a name and an extension in use.
    page.get_by_label("Name", exact=True).fill("Taken")
    page.get_by_label("Ring time (seconds)").fill("20")
    page.get_by_label("Maximum queue size").fill("10")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#error-f-name")).to_contain_text("already exists")
    page.get_by_label("Name", exact=True).fill("Fresh")
    page.get_by_label("Extension", exact=True).fill(str(taken["extension"]))
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#error-f-extension")).to_contain_text("already in use")
    rows = console.api.ok(console.api.c.get("/api/v1/admin/groups", headers=console.api.h))
    assert [g["name"] for g in rows] == ["Taken"]


def test_delete_a_group_and_refuse_a_forged_form(page: Page, console: Console) -> None:
    agent = console.api.agent("anna")
    keep = console.api.group("Keep")
    gone = console.api.group("Gone", members=[agent["id"]])
    sign_in(page)
    page.goto("/admin/groups")
    expect(page.locator("table.groups tbody tr")).to_have_count(2)
    for url, form in (
        ("/admin/groups/delete", {"ids": str(keep["id"])}),
        (f"/admin/groups/{keep['id']}", {"name": "Renamed", "csrf": "guess"}),
    ):
        resp = page.request.post(f"{console.url}{url}", form=dict(form))
        assert resp.status == 403
        assert "did not come from this console" in resp.text()
    page.get_by_label("Select group Gone").check()
    page.once("dialog", lambda d: d.accept())
    page.get_by_role("button", name="Delete selected").click()
    expect(page.locator("p.flash")).to_have_text("Deleted 1 group.")
    rows = console.api.ok(console.api.c.get("/api/v1/admin/groups", headers=console.api.h))
    assert [g["name"] for g in rows] == ["Keep"]
    anna = console.api.ok(
        console.api.c.get(f"/api/v1/admin/agents/{agent['id']}", headers=console.api.h)
    )
    assert anna["group_id"] is None and gone["id"] != keep["id"]


def test_the_pages_fit_a_narrow_screen(browser: Browser, console: Console) -> None:
    anna = console.api.agent("anna", display_name="Anna Berg-Lindqvist-Okafor")
    group = console.api.group("Support", members=[anna["id"]])
    context = browser.new_context(base_url=console.url, viewport={"width": 360, "height": 740})
    try:
        page = context.new_page()
        sign_in(page)
        for url in (
            "/admin/agents",
            f"/admin/agents/{anna['id']}",
            "/admin/csv",
            "/admin/groups",
            f"/admin/groups/{group['id']}",
        ):
            page.goto(url)
            page.locator("h1").wait_for()
            wide = page.evaluate("document.documentElement.scrollWidth")
            assert wide <= 360, (url, wide)
    finally:
        context.close()
