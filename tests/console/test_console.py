"""The admin console in a real Chromium against a real server process: sign-in, CSRF, the
VoIP account pages, the push to a signed-in client, keyboard use and the audit history."""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Page, expect

from .conftest import ADMIN, Console, sign_in

pytestmark = pytest.mark.slow


def test_sign_in_sets_a_strict_http_only_cookie_and_sign_out_ends_it(
    page: Page, console: Console
) -> None:
    page.goto("/admin/accounts")
    expect(page).to_have_url(f"{console.url}/admin/sign-in?next=/admin/accounts")
    sign_in(page, password="wrong password!")
    expect(page.get_by_role("alert")).to_have_text("The name or the password is wrong.")
    sign_in(page)
    expect(page.get_by_role("heading", name="VoIP accounts")).to_be_visible()
    (cookie,) = [c for c in page.context.cookies() if c["name"] == "communicator_admin"]
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Strict"
    assert cookie["path"] == "/admin"
    assert cookie["secure"] is False  # plain http on loopback; Secure when served over https

    page.get_by_role("button", name="Sign out").click()
    expect(page.locator("p.flash")).to_have_text("Signed out.")
    page.goto("/admin/accounts")
    expect(page).to_have_url(f"{console.url}/admin/sign-in?next=/admin/accounts")


def test_a_forged_post_is_refused_and_changes_nothing(page: Page, console: Console) -> None:
    account = console.api.account()
    sign_in(page)
    expect(page.get_by_role("heading", name="VoIP accounts")).to_be_visible()
    # The browser's own cookie goes along, but not the form's CSRF token.
    forms: list[dict[str, str | float | bool]] = [
        {"ids": str(account["id"])},
        {"ids": str(account["id"]), "csrf": "guess"},
    ]
    for form in forms:
        resp = page.request.post(f"{console.url}/admin/accounts/delete", form=form)
        assert resp.status == 403
        assert "did not come from this console" in resp.text()
    # A sign-in form posted from elsewhere (no token of the sign-in page) is refused too.
    with httpx.Client(base_url=console.url) as other:
        forged = other.post("/admin/sign-in", data={"name": ADMIN, "password": "x" * 12})
        assert forged.status_code == 403
    rows = console.api.ok(console.api.c.get("/api/v1/admin/accounts", headers=console.api.h))
    assert [r["id"] for r in rows] == [account["id"]]


@pytest.fixture
def profile_events(console: Console) -> Iterator[tuple[str, queue.Queue[str]]]:
    """A signed-in agent whose client listens to its profile's event stream, as the
    desktop does; yields (session token, queue of the etags it is told about)."""
    api = console.api
    group = api.group("Support")
    agent = api.agent("pat", group_id=group["id"])
    api.account(phone_number="+44 20 7946 0000")  # in the pool: lent to pat at sign-in
    token = api.sign_in("pat")["token"]
    etags: queue.Queue[str] = queue.Queue()
    stop = threading.Event()

    def listen() -> None:
        with (
            httpx.Client(base_url=console.url, timeout=httpx.Timeout(10.0, read=None)) as c,
            c.stream("GET", "/api/v1/profile/events", headers=api.bearer(token)) as resp,
        ):
            event = ""
            for line in resp.iter_lines():
                if stop.is_set():
                    return
                if line.startswith("event:"):
                    event = line.split(":", 1)[1].strip()
                elif line.startswith("data:") and event == "profile":
                    etags.put(json.loads(line.split(":", 1)[1])["etag"])

    thread = threading.Thread(target=listen, daemon=True)
    thread.start()
    try:
        yield token, etags
    finally:
        stop.set()
        del agent


def test_create_edit_and_delete_an_account_through_the_pages(
    page: Page, console: Console, profile_events: tuple[str, queue.Queue[str]]
) -> None:
    token, etags = profile_events
    first = etags.get(timeout=15)  # the stream's first event: the profile it has now
    sign_in(page)
    page.get_by_role("link", name="New").click()
    expect(page.get_by_role("heading", name="New VoIP account")).to_be_visible()
    page.get_by_label("Agent", exact=True).select_option(label="Pat (pat)")
    expect(page.locator("#f-group")).to_have_text("Support")
    page.get_by_label("Country code", exact=True).fill("1")
    page.get_by_label("Phone number", exact=True).fill("+1 555 0100")
    page.get_by_label("Extension", exact=True).fill("321")
    page.get_by_label("VoIP username", exact=True).fill("pat-sip")
    page.get_by_role("button", name="Generate").click()
    generated = page.locator("#f-sip_password").input_value()
    assert len(generated) == 20
    page.get_by_label("SIP server", exact=True).fill("sip.example.com")
    page.get_by_label("SIP domain", exact=True).fill("example.com")
    page.get_by_label("STUN server", exact=True).fill("stun.example.com")
    page.get_by_label("TLS", exact=True).check()
    page.get_by_role("button", name="Save").click()
    expect(page.locator("p.flash")).to_have_text("Account created; pushed to 1 signed-in client.")
    expect(page.get_by_role("heading", name="VoIP account 321")).to_be_visible()

    # The signed-in client was told, and its profile now carries the account.
    pushed = etags.get(timeout=15)
    assert pushed != first
    profile = httpx.get(
        f"{console.url}/api/v1/profile", headers=console.api.bearer(token), timeout=10
    ).json()
    text = json.dumps(profile)
    assert "+1 555 0100" in text and "pat-sip" in text and generated in text

    # A value the API's model refuses: the error stands beside its field, nothing saved.
    page.get_by_label("SIP port", exact=True).fill("70000")
    page.get_by_label("Phone number", exact=True).fill("+1 555 0199")
    page.get_by_role("button", name="Save").click()
    error = page.locator("#error-sip_port")
    expect(error).to_contain_text("less than or equal to 65535")
    port = page.get_by_label("SIP port", exact=True)
    expect(port).to_have_attribute("aria-invalid", "true")
    assert "error-sip_port" in (port.get_attribute("aria-describedby") or "")
    field = page.locator(".field", has=page.locator("#f-sip_port"))
    expect(field.locator(".field-error")).to_have_count(1)
    # A forwarding rule the profile schema refuses, beside its own field.
    page.get_by_label("SIP port", exact=True).fill("5060")
    page.get_by_label("Forward (always)", exact=True).check()
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#error-forwarding\\.always\\.target")).to_have_text(
        "is required when the rule is enabled"
    )
    assert etags.empty()

    page.locator("#fw_always_target").fill("+15550142")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("p.flash")).to_have_text("Saved; pushed to 1 signed-in client.")
    assert etags.get(timeout=15) != pushed

    # The audit history: who, what, old and new value; the password never shown.
    page.get_by_role("link", name="Audit history").click()
    # The console admin's entries (the fixture's API calls are audited under the token's name).
    page.get_by_label("Admin", exact=True).select_option(ADMIN)
    page.get_by_role("button", name="Filter").click()
    rows = page.locator("table.audit tbody tr")
    expect(rows).to_have_count(2)
    newest = rows.nth(0)
    expect(newest.locator("td").nth(1)).to_have_text(ADMIN)
    expect(newest.locator("td").nth(2)).to_have_text("update")
    expect(newest).to_contain_text("phone_number")
    expect(newest).to_contain_text("+1 555 0100 → +1 555 0199")
    expect(rows.nth(1).locator("td").nth(2)).to_have_text("create")
    expect(rows.nth(1)).to_contain_text("sip_password(hidden) → (changed)")
    assert generated not in page.content()

    # Delete the selected accounts from the list (the pool account stays).
    (other,) = [
        r
        for r in console.api.ok(console.api.c.get("/api/v1/admin/accounts", headers=console.api.h))
        if r["phone_number"] == "+44 20 7946 0000"
    ]
    page.get_by_role("link", name="VoIP accounts").click()
    expect(page.locator("table.accounts tbody tr")).to_have_count(2)
    page.get_by_label("Select account 321", exact=True).check()
    page.once("dialog", lambda d: d.accept())
    page.get_by_role("button", name="Delete selected").click()
    expect(page.locator("p.flash")).to_have_text("Deleted 1 account; pushed to 1 signed-in client.")
    expect(page.locator("table.accounts tbody tr")).to_have_count(1)
    expect(page.locator("table.accounts tbody")).to_contain_text("+44 20 7946 0000")
    rows_left = console.api.ok(console.api.c.get("/api/v1/admin/accounts", headers=console.api.h))
    assert [r["id"] for r in rows_left] == [other["id"]]
    page.get_by_role("link", name="Audit history").click()
    expect(page.locator("table.audit tbody tr").nth(0).locator("td").nth(2)).to_have_text("delete")


def test_list_search_sort_and_paging(page: Page, console: Console) -> None:
    for n in range(30):
        console.api.account(phone_number=f"+1 555 {1000 + n}", extension=200 + n)
    sign_in(page)
    rows = page.locator("table.accounts tbody tr")
    expect(rows).to_have_count(25)
    expect(page.locator(".pager")).to_contain_text("30 accounts · page 1 of 2")
    page.get_by_role("link", name="Next").click()
    expect(rows).to_have_count(5)
    # Sorted by extension: now descending (the table's link, not the "Extension pool" one).
    page.locator("table.accounts").get_by_role("link", name="Extension").click()
    expect(rows.nth(0).locator("td").nth(4)).to_have_text("229")
    page.get_by_label("Search", exact=True).fill("555 1007")
    page.get_by_label("Search", exact=True).press("Enter")
    expect(rows).to_have_count(1)
    expect(rows.nth(0).locator("td").nth(4)).to_have_text("207")


def test_the_editor_works_from_the_keyboard_alone(page: Page, console: Console) -> None:
    sign_in(page)
    page.goto("/admin/accounts/new")
    # Tab walks the form in reading order, and the focused control is visibly marked.
    controls = page.locator(
        "form.editor input:not([type=hidden]), form.editor select, form.editor button, "
        "form.editor a"
    )
    expected = [
        controls.nth(i).get_attribute("id") or controls.nth(i).inner_text()
        for i in range(controls.count())
    ]
    page.locator("#f-agent_id").focus()
    seen = []
    for _ in expected:
        focused = page.evaluate(
            "() => { const e = document.activeElement; const s = getComputedStyle(e);"
            " return [e.id || e.innerText, s.outlineStyle, s.outlineWidth]; }"
        )
        seen.append(focused[0])
        assert focused[1] != "none" and focused[2] != "0px", focused
        page.keyboard.press("Tab")
    assert seen == expected

    # Fill and save with keys only.
    page.locator("#f-agent_id").focus()
    page.keyboard.press("Tab")  # Country code
    page.keyboard.type("44")
    page.keyboard.press("Tab")
    page.keyboard.type("+44 20 7946 0958")
    page.locator("#f-sip_username").focus()
    page.keyboard.type("kb-user")
    page.keyboard.press("Tab")
    page.keyboard.type("a secret only typed")
    for _ in range(3):  # Show, Generate, SIP server
        page.keyboard.press("Tab")
    page.keyboard.type("sip.example.com")
    page.keyboard.press("Enter")
    expect(page.locator("p.flash")).to_have_text("Account created; pushed to 0 signed-in clients.")
    rows = console.api.ok(console.api.c.get("/api/v1/admin/accounts", headers=console.api.h))
    assert [(r["sip_username"], r["phone_number"]) for r in rows] == [
        ("kb-user", "+44 20 7946 0958")
    ]


@pytest.mark.parametrize("width", [360])
def test_narrow_screen_shows_every_column_without_sideways_scrolling(
    page: Page, console: Console, width: int
) -> None:
    console.api.account(phone_number="+1 555 0100")
    page.set_viewport_size({"width": width, "height": 800})
    sign_in(page)
    row = page.locator("table.accounts tbody tr").nth(0)
    for label in ("Agent", "Group", "Phone Number", "Extension", "Status"):
        expect(row.locator(f'td[data-label="{label}"]')).to_be_visible()
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width
    page.goto("/admin/accounts/new")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width
