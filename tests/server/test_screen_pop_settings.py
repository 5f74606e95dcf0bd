"""The admin sets the screen pop (URL template and when it opens) on groups and, as overrides,
agents; only http and https templates with known placeholders are accepted."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import Api


def _call_center(api: Api, login: str) -> dict[str, Any]:
    token = api.sign_in(login)["token"]
    profile = api.ok(api.c.get("/api/v1/profile", headers=api.bearer(token)))
    call_center: dict[str, Any] = profile["call_center"]
    return call_center


def test_group_values_and_agent_overrides_reach_the_profile(api: Api) -> None:
    loner = api.agent("lone")
    api.account(loner["id"])
    cc = _call_center(api, "lone")
    assert cc["screen_pop_url"] is None and cc["screen_pop_on"] == "ringing"

    group = api.group(
        "Sales",
        screen_pop_url="https://crm.example/search?phone={number}",
        screen_pop_on="answered",
    )
    assert group["screen_pop_on"] == "answered"
    agent = api.agent("anna", group_id=group["id"])
    api.account(agent["id"])
    assert agent["screen_pop_url"] is None
    assert agent["effective_screen_pop_url"] == "https://crm.example/search?phone={number}"
    cc = _call_center(api, "anna")
    assert cc["screen_pop_url"] == "https://crm.example/search?phone={number}"
    assert cc["screen_pop_on"] == "answered"

    agent = api.ok(
        api.c.patch(
            f"/api/v1/admin/agents/{agent['id']}",
            json={
                "screen_pop_url": "http://desk.example/{agent}?n={number}",
                "screen_pop_on": "ringing",
            },
            headers=api.h,
        )
    )
    assert agent["effective_screen_pop_on"] == "ringing"
    cc = _call_center(api, "anna")
    assert cc["screen_pop_url"] == "http://desk.example/{agent}?n={number}"
    assert cc["screen_pop_on"] == "ringing"

    # An empty URL of the agent's own: no screen pop for this agent; null: the group's again.
    api.ok(
        api.c.patch(
            f"/api/v1/admin/agents/{agent['id']}", json={"screen_pop_url": ""}, headers=api.h
        )
    )
    assert _call_center(api, "anna")["screen_pop_url"] is None
    api.ok(
        api.c.patch(
            f"/api/v1/admin/agents/{agent['id']}",
            json={"screen_pop_url": None, "screen_pop_on": None},
            headers=api.h,
        )
    )
    cc = _call_center(api, "anna")
    assert cc["screen_pop_url"] == "https://crm.example/search?phone={number}"
    assert cc["screen_pop_on"] == "answered"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("screen_pop_url", "javascript:alert(1)//{number}"),
        ("screen_pop_url", "file:///etc/passwd?{number}"),
        ("screen_pop_url", "ftp://crm.example/{number}"),
        ("screen_pop_url", "https://crm.example/{secret}"),
        ("screen_pop_url", "https://{number}.example/"),
        ("screen_pop_on", "hung_up"),
        ("screen_pop_on", 1),
    ],
)
def test_bad_values_get_422(api: Api, field: str, value: object) -> None:
    group = api.group("Sales")
    agent = api.agent("anna")
    for path in (f"/api/v1/admin/groups/{group['id']}", f"/api/v1/admin/agents/{agent['id']}"):
        resp = api.c.patch(path, json={field: value}, headers=api.h)
        assert resp.status_code == 422, (path, resp.text)
