"""Agent status: the agent reports its state and registration; the admin sees them."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from .conftest import Api

READY: dict[str, Any] = {
    "state": "ready",
    "reason": None,
    "registration": {
        "registered": True,
        "contact": "192.0.2.10:5062",
        "transport": "udp",
        "expires": 30,
        "server": "pbx.example.com:5060",
    },
}


def _signed_in(api: Api, login: str = "anna") -> tuple[dict[str, Any], str]:
    agent = api.agent(login)
    api.account(agent["id"])
    return agent, api.sign_in(login)["token"]


def _report(api: Api, token: str, body: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = api.ok(
        api.c.put("/api/v1/agent/status", json=body, headers=api.bearer(token))
    )
    return result


def _board(api: Api) -> dict[str, dict[str, Any]]:
    rows = api.ok(api.c.get("/api/v1/admin/agents/status", headers=api.h))
    return {r["login"]: r for r in rows}


def test_the_same_report_again_keeps_the_time_the_state_began(api: Api) -> None:
    agent, token = _signed_in(api)
    first = _report(api, token, READY)
    assert first["state"] == "ready" and first["registration"] == READY["registration"]
    again = _report(api, token, READY)
    assert again["since"] == first["since"]
    assert again["reported_at"] >= first["reported_at"]

    # A new registration with the same state: still the same state, since unchanged.
    moved = {**READY, "registration": {"registered": False}}
    third = _report(api, token, moved)
    assert third["since"] == first["since"]
    assert third["registration"] == {
        "registered": False,
        "contact": None,
        "transport": None,
        "expires": None,
        "server": None,
    }

    # A not-ready reason is a new state; another reason is a new state again.
    lunch = _report(api, token, {**READY, "state": "not_ready", "reason": "lunch"})
    assert lunch["state"] == "not_ready" and lunch["reason"] == "lunch"
    assert lunch["since"] != first["since"]
    assert (
        _report(api, token, {**READY, "state": "not_ready", "reason": "lunch"})["since"]
        == (lunch["since"])
    )
    assert (
        _report(api, token, {**READY, "state": "not_ready", "reason": "break"})["since"]
        > (lunch["since"])
    )

    shown = api.ok(api.c.get(f"/api/v1/admin/agents/{agent['id']}", headers=api.h))["status"]
    assert shown["state"] == "not_ready" and shown["reason"] == "break"
    assert shown["registration"]["registered"] is True
    assert dt.datetime.fromisoformat(shown["since"]).tzinfo is not None


def test_the_admin_board_lists_every_agent_with_its_status(api: Api) -> None:
    _, token = _signed_in(api, "anna")
    api.agent("bob")
    _report(api, token, {**READY, "state": "on_call"})
    board = _board(api)
    assert board["anna"]["status"]["state"] == "on_call"
    assert board["anna"]["status"]["registration"]["contact"] == "192.0.2.10:5062"
    assert board["bob"]["status"] is None  # never reported
    assert api.c.get("/api/v1/admin/agents/status").status_code == 401
    listed = {a["login"]: a for a in api.ok(api.c.get("/api/v1/admin/agents", headers=api.h))}
    assert listed["anna"]["status"]["state"] == "on_call" and listed["bob"]["status"] is None


def test_signing_out_shows_the_agent_signed_out_and_unregistered(api: Api) -> None:
    _, token = _signed_in(api)
    _report(api, token, READY)
    api.ok(api.c.delete("/api/v1/sessions/current", headers=api.bearer(token)), 204)
    status = _board(api)["anna"]["status"]
    assert status["state"] == "signed_out" and status["reason"] is None
    assert status["registration"]["registered"] is False


def test_status_needs_the_agent_session(api: Api) -> None:
    _signed_in(api)
    delivery = api.sign_in("anna")["delivery_token"]
    for headers in ({}, api.bearer(delivery), api.h, api.bearer("cs_wrong")):
        resp = api.c.put("/api/v1/agent/status", json=READY, headers=headers)
        assert resp.status_code == 401, headers
        assert resp.json()["error"] == "unauthorized"


@pytest.mark.parametrize(
    "body",
    [
        {**READY, "state": "away"},
        {**READY, "state": "ready", "reason": "lunch"},  # a reason only with not_ready
        {**READY, "state": "not_ready", "reason": "has space"},
        {**READY, "state": "not_ready", "reason": "x" * 33},
        {**READY, "registration": {"registered": True, "contact": "192.0.2.10"}},
        {**READY, "registration": {"registered": True, "contact": "host:99999"}},
        {**READY, "registration": {"registered": True, "transport": "sctp"}},
        {**READY, "registration": {"registered": True, "expires": -1}},
        {**READY, "registration": {"registered": True, "server": "a\x00b"}},
        {**READY, "registration": {}},
        {**READY, "extra": 1},
        {"state": "ready"},
        [],
    ],
)
def test_bad_reports_get_422(api: Api, body: Any) -> None:
    _, token = _signed_in(api)
    resp = api.c.put("/api/v1/agent/status", json=body, headers=api.bearer(token))
    assert resp.status_code == 422, resp.text
    assert resp.json()["error"] == "invalid"
