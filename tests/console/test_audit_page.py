"""The audit history page in a real Chromium (issue 17): filtered by admin, object and period,
with the JSON API's changes under the API token's owner beside the console admin's own."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import Page, expect

from .conftest import ADMIN, Console, sign_in

pytestmark = pytest.mark.slow


def test_history_filtered_by_admin_object_and_period(page: Page, console: Console) -> None:
    # Through the JSON API (audited under the token's owner): a group, an agent, an account.
    group = console.api.group("Sales")
    console.api.agent("kim", group_id=group["id"])
    account = console.api.account(phone_number="+1 555 0123", extension=321)
    # Through the console (audited under the signed-in admin): the account deleted.
    sign_in(page)
    page.get_by_label(f"Select account {account['extension']}", exact=True).check()
    page.once("dialog", lambda d: d.accept())
    page.get_by_role("button", name="Delete selected").click()
    expect(page.locator("p.flash")).to_contain_text("Deleted 1 account")

    page.get_by_role("link", name="Audit history").click()
    rows = page.locator("table.audit tbody tr")
    expect(rows).to_have_count(4)
    admin_choice = page.get_by_label("Admin", exact=True)
    names = [o.strip() for o in admin_choice.locator("option").all_inner_texts()]
    owners = [n for n in names if "API token" in n]
    assert len(owners) == 1, names
    assert ADMIN in names
    (owner,) = owners
    assert owner.startswith("tests")

    # By admin: the token's owner made three changes, the console's admin one.
    admin_choice.select_option(owner)
    page.get_by_role("button", name="Filter").click()
    expect(rows).to_have_count(3)
    for n in range(3):
        expect(rows.nth(n).locator("td").nth(1)).to_have_text(owner)
    expect(rows.nth(0).locator("td").nth(2)).to_have_text("create")
    page.get_by_label("Admin", exact=True).select_option(ADMIN)
    page.get_by_role("button", name="Filter").click()
    expect(rows).to_have_count(1)
    expect(rows.nth(0).locator("td").nth(2)).to_have_text("delete")
    expect(rows.nth(0).locator("td").nth(3)).to_contain_text("voip account 321")

    # By object: every admin's changes to agents, then to VoIP accounts.
    page.get_by_label("Admin", exact=True).select_option("")
    page.get_by_label("Object", exact=True).select_option("agent")
    page.get_by_role("button", name="Filter").click()
    expect(rows).to_have_count(1)
    expect(rows.nth(0).locator("td").nth(3)).to_contain_text("agent kim")
    page.get_by_label("Object", exact=True).select_option("voip_account")
    page.get_by_role("button", name="Filter").click()
    expect(rows).to_have_count(2)
    expect(rows.nth(0).locator("td").nth(2)).to_have_text("delete")
    expect(rows.nth(1).locator("td").nth(2)).to_have_text("create")

    # By period (whole days in UTC): today holds all four; from tomorrow or until yesterday none.
    today = dt.datetime.now(dt.UTC).date()
    page.get_by_label("Object", exact=True).select_option("")
    page.get_by_label("From (date)").fill(today.isoformat())
    page.get_by_label("Until (date)").fill(today.isoformat())
    page.get_by_role("button", name="Filter").click()
    expect(rows).to_have_count(4)
    page.get_by_label("From (date)").fill((today + dt.timedelta(days=1)).isoformat())
    page.get_by_label("Until (date)").fill("")
    page.get_by_role("button", name="Filter").click()
    expect(rows).to_have_count(1)
    expect(rows.nth(0)).to_contain_text("No admin actions recorded for this filter.")
    page.get_by_label("From (date)").fill("")
    page.get_by_label("Until (date)").fill((today - dt.timedelta(days=1)).isoformat())
    page.get_by_role("button", name="Filter").click()
    expect(rows.nth(0)).to_contain_text("No admin actions recorded for this filter.")
    # Each filter combines with the others, and the page keeps them in its address.
    page.get_by_label("Admin", exact=True).select_option(owner)
    page.get_by_label("Object", exact=True).select_option("group")
    page.get_by_label("Until (date)").fill(today.isoformat())
    page.get_by_role("button", name="Filter").click()
    expect(rows).to_have_count(1)
    expect(rows.nth(0).locator("td").nth(3)).to_contain_text("group Sales")
    assert "object=group" in page.url
