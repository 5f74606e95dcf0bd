"""The admin sets the agent-state fields of the profile on groups and, as overrides, agents."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import Api

NAMES = ("wrap_up_extension_s", "no_answer_s", "calls_while_not_ready")


def _profile_call_center(api: Api, login: str) -> dict[str, Any]:
    token = api.sign_in(login)["token"]
    profile = api.ok(api.c.get("/api/v1/profile", headers=api.bearer(token)))
    call_center: dict[str, Any] = profile["call_center"]
    return call_center


def test_defaults_group_values_and_agent_overrides_reach_the_profile(api: Api) -> None:
    loner = api.agent("lone")
    api.account(loner["id"])
    cc = _profile_call_center(api, "lone")
    assert cc["wrap_up_extension_seconds"] == 30 and cc["no_answer_seconds"] == 20
    assert cc["calls_while_not_ready"] is False

    group = api.group("Sales", wrap_up_extension_s=45, no_answer_s=12)
    assert {k: group[k] for k in NAMES} == {
        "wrap_up_extension_s": 45,
        "no_answer_s": 12,
        "calls_while_not_ready": False,
    }
    group = api.ok(
        api.c.patch(
            f"/api/v1/admin/groups/{group['id']}",
            json={"calls_while_not_ready": True, "no_answer_s": 0},
            headers=api.h,
        )
    )
    assert group["calls_while_not_ready"] is True and group["no_answer_s"] == 0
    agent = api.agent("anna", group_id=group["id"], wrap_up_extension_s=0)
    api.account(agent["id"])
    assert agent["wrap_up_extension_s"] == 0 and agent["no_answer_s"] is None
    assert agent["effective_wrap_up_extension_s"] == 0
    assert agent["effective_no_answer_s"] == 0
    assert agent["effective_calls_while_not_ready"] is True
    cc = _profile_call_center(api, "anna")
    assert cc["wrap_up_extension_seconds"] == 0  # the agent's own
    assert cc["no_answer_seconds"] == 0 and cc["calls_while_not_ready"] is True  # the group's

    # null gives the group's value back.
    agent = api.ok(
        api.c.patch(
            f"/api/v1/admin/agents/{agent['id']}",
            json={"wrap_up_extension_s": None, "calls_while_not_ready": False},
            headers=api.h,
        )
    )
    assert agent["effective_wrap_up_extension_s"] == 45
    assert agent["effective_calls_while_not_ready"] is False
    cc = _profile_call_center(api, "anna")
    assert cc["wrap_up_extension_seconds"] == 45 and cc["calls_while_not_ready"] is False


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("wrap_up_extension_s", -1),
        ("wrap_up_extension_s", 86401),
        ("no_answer_s", 3601),
        ("no_answer_s", "ten"),
        ("calls_while_not_ready", "maybe"),
    ],
)
def test_bad_values_get_422(api: Api, field: str, value: object) -> None:
    group = api.group("Sales")
    agent = api.agent("anna")
    for path in (f"/api/v1/admin/groups/{group['id']}", f"/api/v1/admin/agents/{agent['id']}"):
        resp = api.c.patch(path, json={field: value}, headers=api.h)
        assert resp.status_code == 422, resp.text
        assert field in resp.json()["message"]
