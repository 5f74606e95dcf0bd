"""The agents, import/export and groups screenshots (part of ``screenshots.py``):
docs/screenshots/admin-agents.png, admin-agent-editor.png, admin-agents-csv.png,
admin-groups.png and admin-group-editor.png, on the people ``screenshots.py`` creates.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from playwright.sync_api import Page

BAD_CSV = (
    "login,display_name,group,permission_level,password\r\n"
    "anna,Anna Berg,Support,20,\r\n"
    "gus,Gus Lee,Support,250,a long password\r\n"
    "hana,Hana Sato,Nowhere,10,short\r\n"
)


def shoot(page: Page, out: Path) -> None:
    page.goto("/admin/agents")
    page.get_by_label("Select agent chloe").check()
    page.screenshot(path=out / "admin-agents.png", full_page=True)

    page.get_by_role("link", name="Edit agent ben").click()
    page.get_by_label("Permission level (0-100)").fill("30")
    page.get_by_label("Use the group's value", exact=False).nth(3).uncheck()
    page.get_by_label("No answer after (seconds)").fill("9999")
    page.get_by_role("button", name="Save").click()
    page.locator("#error-f-no_answer_s").wait_for()
    page.screenshot(path=out / "admin-agent-editor.png", full_page=True)

    page.goto("/admin/csv")
    with tempfile.TemporaryDirectory(prefix="console-csv-") as tmp:
        bad = Path(tmp) / "agents.csv"
        bad.write_text(BAD_CSV, encoding="utf-8")
        page.get_by_label("Agents CSV file to import").set_input_files(bad)
        page.get_by_role("button", name="Import agents").click()
    page.locator("table.problems").wait_for()
    page.screenshot(path=out / "admin-agents-csv.png", full_page=True)

    page.goto("/admin/groups")
    page.screenshot(path=out / "admin-groups.png", full_page=True)
    page.get_by_role("link", name="Edit group Sales").click()
    page.get_by_label("Call order in group").select_option("in_order")
    page.get_by_label("Eva Novak (eva").check()
    page.get_by_role("button", name="Save", exact=True).click()
    page.locator("p.flash").wait_for()
    # The members search, answered by the server.
    page.get_by_label("Search for members").fill("be")
    page.get_by_label("Search for members").press("Enter")
    page.locator("#add-status", has_text="2 agents match").wait_for()
    page.get_by_role("button", name="Move Eva Novak up").focus()
    page.keyboard.press("Enter")
    page.screenshot(path=out / "admin-group-editor.png", full_page=True)
