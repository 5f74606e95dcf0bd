"""Screenshots of the admin console for the docs: ``python -m tests.console.screenshots
[--out DIR]`` (default docs/screenshots).

Starts a real server on loopback with a few agents and accounts, signs in with Debian's
Chromium and writes docs/screenshots/admin-accounts.png, admin-account-editor.png and
admin-audit.png, and (``screenshots_ops.py``) admin-pool.png, admin-board.png and
admin-reports.png, and (``screenshots_people.py``) admin-agents.png, admin-agent-editor.png,
admin-agents-csv.png, admin-groups.png and admin-group-editor.png.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import httpx
from playwright.sync_api import sync_playwright

from tests.console import screenshots_ops, screenshots_people
from tests.console.conftest import (
    ADMIN,
    ADMIN_PASSWORD,
    CHROMIUM,
    CHROMIUM_ARGS,
    create_console_user,
)
from tests.server.conftest import ROOT, Api, LiveServer, admin_token, make_config

OUT = ROOT / "docs" / "screenshots"
PEOPLE = [
    ("anna", "Anna Berg", "Support", "+1 555 0101"),
    ("ben", "Ben Okafor", "Support", "+1 555 0102"),
    ("chloe", "Chloé Martin", "Sales", "+33 1 70 00 01 03"),
    ("dev", "Dev Patel", "Sales", "+44 20 7946 0104"),
    ("eva", "Eva Novak", "Billing", ""),
]


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="console-shots-") as tmp:
        base = Path(tmp)
        db_url = f"sqlite:///{base / 'server.sqlite3'}"
        create_console_user(db_url, base / "data", ADMIN, ADMIN_PASSWORD)
        server = LiveServer(db_url, base).start()
        try:
            with httpx.Client(base_url=server.url, timeout=10.0) as client:
                api = Api(client, admin_token(make_config(db_url, base)))
                groups = {name: api.group(name)["id"] for name in ("Support", "Sales", "Billing")}
                first = None
                for login, name, group, number in PEOPLE:
                    agent = api.agent(login, display_name=name, group_id=groups[group])
                    acc = api.account(
                        agent["id"],
                        phone_number=number,
                        country_code=number[1:].split(" ")[0] if number else "",
                        sip_username=f"{login}-sip",
                        sip_server="sip.example.com",
                    )
                    first = first or acc
                api.account(sip_username="pool-1", sip_server="sip.example.com")
                api.account(sip_username="pool-2", sip_server="sip.example.com")
                tokens = {"anna": api.sign_in("anna")["token"]}
                screenshots_ops.seed(api, tokens)
            shoot(server.url, first["id"] if first else 1)
        finally:
            server.stop()


def shoot(url: str, account_id: int) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(base_url=url, viewport={"width": 1100, "height": 700})
        page.goto("/admin/accounts")
        page.get_by_label("Name", exact=True).fill(ADMIN)
        page.get_by_label("Password", exact=True).fill(ADMIN_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("heading", name="VoIP accounts").wait_for()
        page.locator('input[name="ids"]').nth(1).check()
        page.screenshot(path=OUT / "admin-accounts.png", full_page=True)
        page.goto(f"/admin/accounts/{account_id}")
        page.get_by_label("Phone number", exact=True).fill("+1 555 0199")
        page.get_by_role("button", name="Save").click()
        page.locator("p.flash").wait_for()
        page.get_by_label("SIP port", exact=True).fill("70000")
        page.get_by_role("button", name="Save").click()
        page.locator("#error-sip_port").wait_for()
        page.screenshot(path=OUT / "admin-account-editor.png", full_page=True)
        # The console admin's own changes (the seeding's API creates list every field).
        page.goto("/admin/audit")
        page.get_by_label("Admin", exact=True).select_option(ADMIN)
        page.get_by_role("button", name="Filter").click()
        page.wait_for_url("**admin=*")
        page.screenshot(path=OUT / "admin-audit.png", full_page=True)
        screenshots_ops.shoot(page, OUT)
        screenshots_people.shoot(page, OUT)
        browser.close()


if __name__ == "__main__":
    if sys.argv[1:2] == ["--out"] and len(sys.argv) == 3:
        OUT = Path(sys.argv[2]).resolve()
    main()
