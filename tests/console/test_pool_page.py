"""The extension pool page in a real Chromium against a real server process: fixed, leased
and free numbers, and an admin releasing a lease (CSRF, confirmation, audit)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Dialog, Locator, Page, expect

from .conftest import Console, sign_in

pytestmark = pytest.mark.slow


def _row(page: Page, extension: int) -> Locator:
    return page.locator(f"#ext-{extension}")


def test_the_pool_shows_fixed_leased_and_free_numbers_and_a_lease_is_released(
    page: Page, console: Console
) -> None:
    api = console.api
    fixed_agent = api.agent("fred", display_name="Fred Fixed")
    fixed = api.account(fixed_agent["id"], extension=150)
    lent = api.account(extension=101)  # in the pool: lent to pat at sign-in
    spare = api.account(extension=102)
    api.group("Support", extension=500)
    api.agent("pat", display_name="Pat Lee")
    api.sign_in("pat")

    sign_in(page)
    page.get_by_role("link", name="Extension pool").click()
    expect(page.get_by_role("heading", name="Extension pool")).to_be_visible()
    expect(_row(page, 150).get_by_text("Fixed", exact=True)).to_be_visible()
    expect(_row(page, 150)).to_contain_text("Fred Fixed (fred)")
    leased = _row(page, 101)
    expect(leased.get_by_text("Leased", exact=True)).to_be_visible()
    expect(leased).to_contain_text("Pat Lee (pat)")
    expect(leased.locator("td[data-label='Leased since'] time")).to_have_attribute(
        "datetime", re.compile(r"^\d{4}-\d\d-\d\dT")
    )
    expect(_row(page, 102).get_by_text("Free", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Release extension 102")).to_have_count(0)
    # The range's numbers nobody uses: 100, 103-149, 151-499, 501-999.
    expect(page.locator("main")).to_contain_text("100, 103\u2013149, 151\u2013499, 501\u2013999")
    expect(page.locator("main")).to_contain_text("500 Support")

    # The filter shows the leased numbers only.
    page.get_by_label("Show").select_option("leased")
    page.get_by_role("button", name="Show", exact=True).click()
    expect(page.locator("table.pool tbody tr")).to_have_count(1)
    expect(_row(page, 101)).to_be_visible()

    # Releasing asks first; declining changes nothing.
    release = page.get_by_role("button", name="Release extension 101")
    messages: list[str] = []

    def decline(dialog: Dialog) -> None:
        messages.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", decline)
    release.click()
    assert messages and "Release extension 101 from Pat Lee (pat)?" in messages[0]
    expect(_row(page, 101).get_by_text("Leased", exact=True)).to_be_visible()

    # A release posted without the form's CSRF token is refused.
    forged = page.request.post(f"{console.url}/admin/pool/{lent['id']}/release", form={})
    assert forged.status == 403
    rows = {r["id"]: r for r in api.ok(api.c.get("/api/v1/admin/accounts", headers=api.h))}
    assert rows[lent["id"]]["in_use_by"] == "pat"

    # From the keyboard: focus the button, Enter, accept the confirmation.
    page.once("dialog", lambda dialog: dialog.accept())
    release.focus()
    page.keyboard.press("Enter")
    expect(page.locator("p.flash")).to_have_text(
        "Extension 101 released: back in the pool with a new SIP password."
    )
    row = _row(page, 101)
    expect(row.get_by_text("Recently recycled", exact=True)).to_be_visible()
    expect(row).to_contain_text("last held by Pat Lee (pat)")
    rows = {r["id"]: r for r in api.ok(api.c.get("/api/v1/admin/accounts", headers=api.h))}
    assert rows[lent["id"]]["in_use_by"] is None
    assert rows[fixed["id"]]["agent"] == "Fred Fixed"
    assert rows[spare["id"]]["in_use_by"] is None

    # The audit history names the admin, the number and the former holder; no password.
    page.get_by_role("link", name="Audit history").click()
    entry = page.locator("table.audit tbody tr").first
    expect(entry).to_contain_text("release")
    expect(entry).to_contain_text("voip account 101")
    expect(entry).to_contain_text("lease_agent")
    expect(entry).to_contain_text("pat → null")
    expect(entry).to_contain_text("(hidden) → (changed)")
