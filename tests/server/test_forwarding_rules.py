"""Forwarding rules an admin sets are the schema's rules: an unknown rule name, or an unknown
setting inside a rule, is refused with 422 (it used to be stored and silently ignored)."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import Api

UNKNOWN: dict[str, dict[str, Any]] = {
    "unknown rule": {"weekend": {"enabled": True, "target": "+48221112233"}},
    "misspelt rule": {"allways": {"enabled": True, "target": "+48221112233"}},
    "unknown setting": {"always": {"enabled": True, "target": "100", "delay": 5}},
    "rule not an object": {"busy": "+48221112233"},
}


@pytest.mark.parametrize("case", list(UNKNOWN))
def test_unknown_forwarding_is_refused_on_update(api: Api, case: str) -> None:
    acc = api.account()
    resp = api.c.patch(
        f"/api/v1/admin/accounts/{acc['id']}", json={"forwarding": UNKNOWN[case]}, headers=api.h
    )
    assert resp.status_code == 422, resp.text
    assert "forwarding" in resp.json()["message"]
    detail = api.ok(api.c.get(f"/api/v1/admin/accounts/{acc['id']}", headers=api.h))
    assert detail["forwarding"] == {}


def test_unknown_forwarding_is_refused_on_create_and_import(api: Api) -> None:
    body = {"sip_username": "fw1", "sip_password": "pw", "sip_server": "127.0.0.1"}
    resp = api.c.post(
        "/api/v1/admin/accounts",
        json={**body, "forwarding": UNKNOWN["unknown rule"]},
        headers=api.h,
    )
    assert resp.status_code == 422, resp.text
    text = (
        "sip_username,sip_password,sip_server,forwarding\n"
        'fw2,pw,127.0.0.1,"{""weekend"": {""enabled"": true, ""target"": ""100""}}"\n'
    )
    resp = api.c.post(
        "/api/v1/admin/accounts/import", content=text, headers={**api.h, "content-type": "text/csv"}
    )
    assert resp.status_code == 422, resp.text
    names = {a["sip_username"] for a in api.ok(api.c.get("/api/v1/admin/accounts", headers=api.h))}
    assert not names & {"fw1", "fw2"}


def test_every_known_rule_is_accepted(api: Api) -> None:
    rules = {
        "always": {"enabled": False, "target": "+48221112233"},
        "schedule": {
            "enabled": True,
            "target": "200",
            "days": ["mon", "tue"],
            "start": "18:00",
            "end": "08:00",
        },
        "busy": {"enabled": True, "target": "201"},
        "no_answer": {"enabled": True, "target": "202", "after_seconds": 15},
    }
    acc = api.account(forwarding=rules)
    detail = api.ok(api.c.get(f"/api/v1/admin/accounts/{acc['id']}", headers=api.h))
    assert detail["forwarding"] == rules
