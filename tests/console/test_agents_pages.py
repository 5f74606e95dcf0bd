"""The Agents pages in a real Chromium against a real server process: the list, the editor
(permission level, hot desk, enabled, password, the agent's own call-center settings),
validation errors beside the field, delete of the selected, the CSV round trip and a
refused import, a forged form, and the audit entries the changes leave."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from .conftest import ADMIN, Console, sign_in

pytestmark = pytest.mark.slow


def agents_json(console: Console) -> dict[str, dict[str, object]]:
    rows = console.api.ok(console.api.c.get("/api/v1/admin/agents", headers=console.api.h))
    return {r["login"]: r for r in rows}


def test_create_an_agent_then_change_it_and_see_the_history(page: Page, console: Console) -> None:
    support = console.api.group("Support", no_answer_s=25)
    console.api.account()  # a pool number, so that the agent can sign in
    sign_in(page)
    page.get_by_role("link", name="Agents", exact=True).click()
    page.get_by_role("link", name="New agent").click()
    page.get_by_label("Login").fill("pat")
    page.get_by_label("Name", exact=True).fill("Pat Jones")
    page.get_by_label("Password", exact=True).fill("a good long password")
    page.get_by_label("Group", exact=True).select_option(label="Support (100)")
    page.get_by_label("Permission level (0-100)").fill("40")
    page.get_by_label("Hot desk").check()
    page.get_by_role("button", name="Save").click()
    expect(page.locator("p.flash")).to_have_text("Agent created.")

    pat = agents_json(console)["pat"]
    assert pat["group_id"] == support["id"]
    assert pat["permission_level"] == 40
    assert pat["hot_desk"] is True
    assert pat["no_answer_s"] is None  # the group's value
    assert pat["effective_no_answer_s"] == 25
    # The password set in the form works, and is never shown back.
    console.api.sign_in("pat", "a good long password")
    assert "a good long password" not in page.content()
    expect(page.get_by_label("Password", exact=True)).to_have_value("")
    # The inherited value is named beside its box.
    expect(page.get_by_label("Use the group's value (25)")).to_be_checked()

    # An own no-answer time, disabled, and a new password.
    page.get_by_label("Use the group's value (25)").uncheck()
    page.get_by_label("No answer after (seconds)").fill("12")
    page.get_by_label("Enabled").uncheck()
    page.get_by_label("Password", exact=True).fill("another password!")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("p.flash")).to_have_text("Agent saved; pushed to 0 signed-in clients.")
    pat = agents_json(console)["pat"]
    assert pat["no_answer_s"] == 12
    assert pat["active"] is False

    page.get_by_role("link", name="Audit history").click()
    rows = page.locator("table.audit tbody tr")
    expect(rows.first).to_contain_text("pat (Pat Jones)")
    history = page.locator("table.audit").inner_text()
    assert ADMIN in history
    assert "no_answer_s" in history
    assert "(changed)" in history
    assert "another password!" not in page.content()
    assert "a good long password" not in page.content()


def test_validation_errors_appear_beside_their_fields(page: Page, console: Console) -> None:
    console.api.agent("taken")
    sign_in(page)
    page.goto("/admin/agents/new")
    page.get_by_label("Login").fill("bad login!")
    page.get_by_label("Password", exact=True).fill("short")
    page.get_by_label("Permission level (0-100)").fill("101")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_contain_text("The agent was not saved")
    login = page.get_by_label("Login")
    expect(login).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#error-f-login")).to_contain_text("should match pattern")
    expect(page.locator("#error-f-password")).to_contain_text("at least 8 characters")
    expect(page.locator("#error-f-permission_level")).to_contain_text("less than or equal to 100")
    # What was typed stays (never the password).
    expect(login).to_have_value("bad login!")
    expect(page.get_by_label("Password", exact=True)).to_have_value("")

    # A refusal of the service (a login that exists) lands beside the login too.
    login.fill("taken")
    page.get_by_label("Password", exact=True).fill("long enough password")
    page.get_by_label("Permission level (0-100)").fill("10")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#error-f-login")).to_contain_text("already exists")
    assert set(agents_json(console)) == {"taken"}


def test_list_search_sort_paging_and_delete_selected(page: Page, console: Console) -> None:
    for n in range(30):
        console.api.agent(f"agent{n:02d}", display_name=f"Person {n:02d}")
    sign_in(page)
    page.goto("/admin/agents")
    expect(page.locator(".pager span")).to_have_text("30 agents · page 1 of 2")
    page.get_by_role("link", name="Next").click()
    expect(page.locator("table.agents tbody tr")).to_have_count(5)
    page.get_by_label("Search", exact=True).fill("person 1")
    page.get_by_label("Search", exact=True).press("Enter")
    expect(page.locator("table.agents tbody tr")).to_have_count(10)
    page.get_by_role("link", name="Login").click()  # already ascending: now descending
    expect(page.locator("table.agents tbody tr").first).to_contain_text("agent19")
    page.get_by_label("Select agent agent19").check()
    page.get_by_label("Select agent agent18").check()
    page.once("dialog", lambda d: d.accept())
    page.get_by_role("button", name="Delete selected").click()
    expect(page.locator("p.flash")).to_have_text("Deleted 2 agents.")
    assert {"agent18", "agent19"}.isdisjoint(agents_json(console))
    assert len(agents_json(console)) == 28


def test_list_sorts_and_searches_by_group_and_extension(page: Page, console: Console) -> None:
    """The list is searched, sorted and paged by the database: by the group's name and by the
    agent's extension (its own account's), as shown in the columns."""
    api = console.api
    support, billing = api.group("Support"), api.group("Billing")
    ids = {
        login: api.agent(login, group_id=group)["id"]
        for login, group in (("zed", support["id"]), ("amy", billing["id"]), ("kim", None))
    }
    api.account(ids["zed"], extension=301)
    api.account(ids["amy"], extension=377)
    sign_in(page)
    page.goto("/admin/agents")
    logins = page.locator("table.agents tbody td[data-label='Login']")
    expect(logins).to_have_text(["amy", "kim", "zed"])
    page.locator("thead").get_by_role("link", name="Group").click()
    expect(logins).to_have_text(["kim", "amy", "zed"])  # no group first, then Billing, Support
    page.locator("thead").get_by_role("link", name="Extension").click()
    expect(logins).to_have_text(["zed", "amy", "kim"])  # no extension last
    page.locator("thead").get_by_role("link", name="Extension").click()  # now descending
    expect(logins).to_have_text(["kim", "amy", "zed"])
    for needle, found in (("37", ["amy"]), ("SUPP", ["zed"]), ("k", ["kim"])):
        page.get_by_label("Search", exact=True).fill(needle)
        page.get_by_label("Search", exact=True).press("Enter")
        expect(logins).to_have_text(found)
    expect(page.locator(".pager span")).to_have_text("1 agent · page 1 of 1")


def test_csv_round_trip_and_a_refused_import(page: Page, console: Console, tmp_path: Path) -> None:
    group = console.api.group("Sales")
    console.api.agent("anna", display_name="Anna Berg", group_id=group["id"])
    console.api.agent("ben", display_name="=HYPERLINK(1)", wrap_up_s=15)
    console.api.account()  # a pool number, so that an imported agent can sign in
    sign_in(page)
    page.get_by_role("link", name="Import / export").click()
    with page.expect_download() as download:
        page.get_by_role("button", name="Export agents (CSV)").click()
    exported = Path(download.value.path()).read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert [r["login"] for r in rows] == ["anna", "ben"]
    assert rows[0]["group"] == "Sales"
    assert rows[1]["display_name"] == "'=HYPERLINK(1)"  # a spreadsheet shows it as text
    assert rows[1]["wrap_up_s"] == "15"
    assert all(r["password"] == "" for r in rows)

    # Changed in a spreadsheet: a new name, a new agent (with a password), read back in.
    rows[0]["display_name"] = "Anna Lind"
    rows[0]["permission_level"] = "55"
    new = {**rows[0], "login": "carl", "display_name": "Carl", "password": "carl's password"}
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows([*rows, new])
    good = tmp_path / "agents.csv"
    good.write_text(out.getvalue(), encoding="utf-8")
    page.get_by_label("Agents CSV file to import").set_input_files(good)
    page.get_by_role("button", name="Import agents").click()
    expect(page.locator("p.flash")).to_have_text("Agents imported: 1 created, 2 updated.")
    agents = agents_json(console)
    assert agents["anna"]["display_name"] == "Anna Lind"
    assert agents["anna"]["permission_level"] == 55
    assert agents["ben"]["display_name"] == "=HYPERLINK(1)"
    assert agents["ben"]["wrap_up_s"] == 15
    assert agents["carl"]["group"] == "Sales"
    console.api.sign_in("carl", "carl's password")

    # One good row and two bad ones: nothing changes, each problem beside its row number.
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "login,display_name,permission_level,group\r\n"
        "anna,Anna Changed,10,Sales\r\n"
        "dora,Dora,500,Sales\r\n"
        "eve,Eve,10,Nowhere\r\n",
        encoding="utf-8",
    )
    page.get_by_label("Agents CSV file to import").set_input_files(bad)
    page.get_by_role("button", name="Import agents").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Nothing was imported")
    table = page.locator("table.problems")
    expect(table.get_by_role("rowheader", name="Row 3")).to_be_visible()
    row3 = table.locator("tr", has=page.get_by_role("rowheader", name="Row 3"))
    expect(row3).to_contain_text("permission_level")
    expect(row3).to_contain_text("less than or equal to 100")
    assert table.get_by_role("rowheader", name="Row 2").count() == 0
    assert agents_json(console)["anna"]["display_name"] == "Anna Lind"
    assert "dora" not in agents_json(console)
    # The group that does not exist is found once the rows are checked against the database.
    bad.write_text(
        "login,display_name,group,password\r\n"
        "anna,Anna Changed,Sales,\r\n"
        "eve,Eve,Nowhere,eve's password\r\n",
        encoding="utf-8",
    )
    page.get_by_label("Agents CSV file to import").set_input_files(bad)
    page.get_by_role("button", name="Import agents").click()
    row3 = table.locator("tr", has=page.get_by_role("rowheader", name="Row 3"))
    expect(row3).to_contain_text("group 'Nowhere' does not exist")
    assert agents_json(console)["anna"]["display_name"] == "Anna Lind"
    assert "eve" not in agents_json(console)


def test_accounts_export_has_passwords_only_when_asked_and_that_is_audited(
    page: Page, console: Console
) -> None:
    console.api.account(sip_username="desk-1", sip_password="the-sip-secret")
    sign_in(page)
    page.goto("/admin/csv")
    with page.expect_download() as plain:
        page.get_by_role("button", name="Export VoIP accounts (CSV)").click()
    assert "the-sip-secret" not in Path(plain.value.path()).read_text(encoding="utf-8")
    box = page.get_by_label("Include the SIP passwords")
    expect(box).to_have_attribute("aria-describedby", "passwords-warning")
    expect(page.locator("#passwords-warning")).to_contain_text("plain text")
    box.check()
    with page.expect_download() as secret:
        page.get_by_role("button", name="Export VoIP accounts (CSV)").click()
    assert "the-sip-secret" in Path(secret.value.path()).read_text(encoding="utf-8")
    page.goto("/admin/audit")
    expect(page.locator("table.audit")).to_contain_text("accounts.csv with passwords")
    assert "the-sip-secret" not in page.content()


def test_a_forged_agent_form_is_refused(page: Page, console: Console) -> None:
    agent = console.api.agent("pat")
    sign_in(page)
    expect(page.get_by_role("heading", name="VoIP accounts")).to_be_visible()
    forged: list[tuple[str, dict[str, str | float | bool]]] = [
        ("/admin/agents/delete", {"ids": str(agent["id"])}),
        (f"/admin/agents/{agent['id']}", {"login": "pat", "permission_level": "99"}),
        ("/admin/csv/accounts.csv", {"include_passwords": "on", "csrf": "guess"}),
    ]
    for url, form in forged:
        resp = page.request.post(f"{console.url}{url}", form=form)
        assert resp.status == 403
        assert "did not come from this console" in resp.text()
    assert agents_json(console)["pat"]["permission_level"] == 10


def test_accounts_csv_round_trip_and_a_refused_row(
    page: Page, console: Console, tmp_path: Path
) -> None:
    console.api.account(sip_username="desk-1", phone_number="+1 555 0100")
    sign_in(page)
    page.goto("/admin/csv")
    with page.expect_download() as download:
        page.get_by_role("button", name="Export VoIP accounts (CSV)").click()
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text("utf-8"))))
    assert [r["sip_username"] for r in rows] == ["desk-1"]
    rows[0]["phone_number"] = "+1 555 0199"
    second = {**rows[0], "sip_username": "desk-2", "extension": "", "sip_password": "pw-2"}
    third = {**second, "sip_username": "desk-3", "sip_port": "70000"}
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows([rows[0], second, third])
    path = tmp_path / "accounts.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    page.get_by_label("VoIP accounts CSV file to import").set_input_files(path)
    page.get_by_role("button", name="Import VoIP accounts").click()
    row4 = page.locator("table.problems tr", has=page.get_by_role("rowheader", name="Row 4"))
    expect(row4).to_contain_text("sip_port")
    listed = console.api.ok(console.api.c.get("/api/v1/admin/accounts", headers=console.api.h))
    assert [(a["sip_username"], a["phone_number"]) for a in listed] == [("desk-1", "+1 555 0100")]

    writer = csv.DictWriter(out := io.StringIO(), fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows([rows[0], second])
    path.write_text(out.getvalue(), encoding="utf-8")
    page.get_by_label("VoIP accounts CSV file to import").set_input_files(path)
    page.get_by_role("button", name="Import VoIP accounts").click()
    expect(page.locator("p.flash")).to_have_text("VoIP accounts imported: 1 created, 1 updated.")
    listed = console.api.ok(console.api.c.get("/api/v1/admin/accounts", headers=console.api.h))
    assert sorted((a["sip_username"], a["phone_number"]) for a in listed) == [
        ("desk-1", "+1 555 0199"),
        ("desk-2", "+1 555 0199"),
    ]


def test_the_agent_editor_works_from_the_keyboard_alone(page: Page, console: Console) -> None:
    sign_in(page)
    page.goto("/admin/agents/new")
    # Tab walks the enabled controls in reading order, each visibly marked when focused (an
    # inherited setting's input is disabled, so skipped, until its box is cleared).
    controls = page.locator(
        "form.editor :is(input:not([type=hidden]), select, textarea, button, a):not([disabled])"
        ":not([tabindex='-1'])"
    )
    expected = [
        controls.nth(i).get_attribute("id") or controls.nth(i).inner_text()
        for i in range(controls.count())
    ]
    assert "f-wrap_up_s" not in expected and "f-wrap_up_s-inherit" in expected
    page.locator("#f-login").focus()
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

    page.locator("#f-login").focus()
    page.keyboard.type("kb-agent")
    page.keyboard.press("Tab")  # Name
    page.keyboard.type("Key Board")
    page.keyboard.press("Tab")  # E-mail
    page.keyboard.press("Tab")  # Password
    page.keyboard.type("typed on keys only")
    page.keyboard.press("Enter")
    expect(page.locator("p.flash")).to_have_text("Agent created.")

    # An own wrap-up time: clear "use the group's value" with Space, back to the field, type.
    page.locator("#f-wrap_up_s-inherit").focus()
    page.keyboard.press("Space")
    page.keyboard.press("Shift+Tab")
    expect(page.locator("#f-wrap_up_s")).to_be_focused()
    page.keyboard.type("45")
    page.keyboard.press("Enter")
    expect(page.locator("p.flash")).to_have_text("Agent saved; pushed to 0 signed-in clients.")
    agent = agents_json(console)["kb-agent"]
    assert agent["display_name"] == "Key Board"
    assert agent["wrap_up_s"] == 45
    assert agent["no_answer_s"] is None
