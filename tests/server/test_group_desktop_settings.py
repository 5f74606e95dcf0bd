"""Desktop settings the admin fixes per group (issue 16, "Settings"): stored by the admin API
and the console's group editor, audited, in the members' profile (null: the agent's choice),
and in the profile a signed-in client fetches after the change. Revision 0014 goes down and up
again with the views of 0012 in place. SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from alembic import command
from sqlalchemy import inspect

from communicator.provisioning.server import db as db_mod
from communicator.provisioning.server.config import ServerConfig

from .conftest import Api
from .console_probe import Console, open_console
from .test_admin_api_audit import history

NOTHING = {"close_to_tray": None, "start_at_login": None, "links": None, "sip_trace": None}


def _profile(api: Api, token: str, etag: str | None = None) -> tuple[int, dict[str, Any], str]:
    headers = api.bearer(token) | ({"If-None-Match": f'"{etag}"'} if etag else {})
    resp = api.c.get("/api/v1/profile", headers=headers)
    body = resp.json() if resp.status_code == 200 else {}
    return resp.status_code, body, resp.headers.get("ETag", "").strip('"')


def _patch(api: Api, group_id: int, body: dict[str, Any], status: int = 200) -> Any:
    return api.ok(api.c.patch(f"/api/v1/admin/groups/{group_id}", json=body, headers=api.h), status)


def test_a_groups_desktop_settings_reach_its_members_profile(
    api: Api, config: ServerConfig
) -> None:
    loner = api.agent("lone")
    api.account(loner["id"])
    assert _profile(api, api.sign_in("lone")["token"])[1]["desktop"] == NOTHING

    group = api.group("Sales", desktop={"close_to_tray": False, "links": "dial"})
    assert group["desktop"] == NOTHING | {"close_to_tray": False, "links": "dial"}
    api.account(api.agent("anna", group_id=group["id"])["id"])
    token = api.sign_in("anna")["token"]
    status, profile, etag = _profile(api, token)
    assert status == 200
    assert profile["desktop"] == NOTHING | {"close_to_tray": False, "links": "dial"}

    # A change: fields left out keep their value, null gives the choice back to the agent.
    changed = _patch(api, group["id"], {"desktop": {"sip_trace": True, "links": None}})
    assert changed["desktop"] == NOTHING | {"close_to_tray": False, "sip_trace": True}
    # The client's conditional fetch (what a profile event makes it do) gets the new profile.
    status, profile, new_etag = _profile(api, token, etag)
    assert status == 200 and new_etag != etag
    assert profile["desktop"] == NOTHING | {"close_to_tray": False, "sip_trace": True}
    assert _profile(api, token, new_etag)[0] == 304

    other = _patch(api, group["id"], {"email": "sales@example.com"})
    assert other["desktop"] == changed["desktop"]  # a change without the section keeps it

    updates = [e for e in history(config) if e["object_type"] == "group"]
    assert updates[-2]["changes"]["desktop"] == [
        NOTHING | {"close_to_tray": False, "links": "dial"},
        NOTHING | {"close_to_tray": False, "sip_trace": True},
    ]


@pytest.mark.parametrize(
    "desktop",
    [{"links": "call"}, {"close_to_tray": "maybe"}, {"language": "pl"}, {"microphone": "x"}],
)
def test_wrong_or_local_only_desktop_fields_are_refused(api: Api, desktop: dict[str, Any]) -> None:
    group = api.group("Sales")
    resp = api.c.patch(
        f"/api/v1/admin/groups/{group['id']}", json={"desktop": desktop}, headers=api.h
    )
    assert resp.status_code == 422, resp.text
    assert api.ok(api.c.get(f"/api/v1/admin/groups/{group['id']}", headers=api.h))["desktop"] == (
        NOTHING
    )


@pytest.fixture
def console(config: ServerConfig) -> Iterator[Console]:
    with open_console(config) as opened:
        yield opened


def test_the_console_editor_sets_and_clears_desktop_settings(console: Console) -> None:
    page = console.get("/admin/groups/new").text
    assert "<legend>Desktop settings</legend>" in page
    assert '<option value="" selected>Agent&#39;s choice</option>' in page
    assert '<option value="fill">Fill in</option>' in page
    form = {
        "name": "Support",
        "desktop.close_to_tray": "off",
        "desktop.start_at_login": "on",
        "desktop.links": "fill",
        "desktop.sip_trace": "",
    }
    resp = console.post("/admin/groups/new", form)
    assert resp.status_code == 303, resp.text[:300]
    (group,) = console.api.ok(console.c.get("/api/v1/admin/groups", headers=console.api.h))
    wanted = {"close_to_tray": False, "start_at_login": True, "links": "fill", "sip_trace": None}
    assert group["desktop"] == wanted

    editor = console.get(f"/admin/groups/{group['id']}").text
    assert '<option value="off" selected>Off</option>' in editor
    assert '<option value="on" selected>On</option>' in editor
    assert '<option value="fill" selected>Fill in</option>' in editor

    resp = console.post(f"/admin/groups/{group['id']}", form | {"desktop.links": ""})
    assert resp.status_code == 303, resp.text[:300]
    saved = console.api.ok(
        console.c.get(f"/api/v1/admin/groups/{group['id']}", headers=console.api.h)
    )
    assert saved["desktop"] == wanted | {"links": None}

    resp = console.post(f"/admin/groups/{group['id']}", form | {"desktop.links": "call"})
    assert resp.status_code == 422
    assert 'id="error-f-desktop-links"' in resp.text


def test_revision_0014_goes_down_and_up_again(api: Api, config: ServerConfig) -> None:
    api.group("Sales", extension=300, desktop={"sip_trace": True})
    engine = db_mod.make_engine(config.db_url, pool_size=1)
    try:
        with engine.begin() as conn:
            command.downgrade(db_mod.alembic_config(engine, conn), "0013")
        found = inspect(engine)
        assert not {c["name"] for c in found.get_columns("groups")} & {"desktop_sip_trace"}
        assert "sip_groups" in found.get_view_names()
        db_mod.upgrade(engine)
        assert "desktop_sip_trace" in {c["name"] for c in inspect(engine).get_columns("groups")}
    finally:
        engine.dispose()
    (group,) = api.ok(api.c.get("/api/v1/admin/groups", headers=api.h))
    assert group["desktop"] == NOTHING  # a group of before: nothing fixed
