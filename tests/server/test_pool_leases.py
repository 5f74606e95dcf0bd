"""The number pool (seeds 002 and 003): which accounts are lent, what a recycled account carries,
when a lease ends (the client stops reporting, sign-out, an admin's release, the agent disabled
or deleted) and that the next holder never shares the SIP password the previous one saw."""

from __future__ import annotations

import hashlib
import io
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from communicator.provisioning.server.api import create_app
from communicator.provisioning.server.cli import main

from .conftest import Api, admin_token, make_config

FORWARD_ALWAYS = {"always": {"enabled": True, "target": "+48221112233"}}
STATUS: dict[str, Any] = {
    "state": "ready",
    "reason": None,
    "registration": {
        "registered": True,
        "contact": "192.0.2.10:5062",
        "transport": "udp",
        "expires": 30,
        "server": "127.0.0.1:5060",
    },
}


def profile(api: Api, token: str) -> dict[str, Any]:
    return dict(api.ok(api.c.get("/api/v1/profile", headers=api.bearer(token))))


def rows(api: Api) -> dict[int, dict[str, Any]]:
    return {r["id"]: r for r in api.ok(api.c.get("/api/v1/admin/accounts", headers=api.h))}


def kamailio_export(api: Api) -> str:
    resp = api.c.get("/api/v1/admin/exports/kamailio", headers=api.h)
    assert resp.status_code == 200, resp.text
    return resp.text


def seen_in_export(export: str, user: str, domain: str, password: str) -> bool:
    """Whether the registrar's table would still accept ``password`` for ``user``."""
    ha1 = hashlib.md5(f"{user}:{domain}:{password}".encode()).hexdigest()
    return any(user in line and (password in line or ha1 in line) for line in export.splitlines())


def wait_until(check: Any, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.05)  # polling a state the server changes on its own clock


# ------------------------------------------------------------------------ which are lent


def test_static_ip_and_desk_phone_accounts_are_not_lent(api: Api) -> None:
    api.account(equipment_type="static_ip", workstation_ip="192.0.2.7")
    desk = api.account(pool=False)
    api.agent("sam")
    resp = api.c.post("/api/v1/sessions", json={"login": "sam", "password": "correct horse"})
    assert resp.status_code == 409, resp.text
    assert resp.json()["error"] == "no_free_number"
    listed = rows(api)
    assert listed[desk["id"]]["pool"] is False
    assert [r for r in listed.values() if r["pool"]] == []

    lent = api.account()
    assert lent["pool"] is True
    assert api.sign_in("sam")["extension"] == str(lent["extension"])
    # An admin can take an account out of the pool and put it back.
    api.ok(api.c.patch(f"/api/v1/admin/accounts/{desk['id']}", json={"pool": True}, headers=api.h))
    assert rows(api)[desk["id"]]["pool"] is True


# ---------------------------------------------------------------- what a recycled one has


def test_a_deleted_agents_forwarding_never_reaches_the_next_holder(api: Api) -> None:
    acc = api.account()
    first = api.agent("fiona")
    fiona = api.sign_in("fiona")
    assert fiona["pooled"]
    api.ok(
        api.c.patch(
            f"/api/v1/admin/accounts/{acc['id']}",
            json={"forwarding": FORWARD_ALWAYS},
            headers=api.h,
        )
    )
    assert profile(api, fiona["token"])["forwarding"]["always"]["enabled"] is True
    assert api.c.delete(f"/api/v1/admin/agents/{first['id']}", headers=api.h).status_code == 204

    api.agent("gary")
    gary = api.sign_in("gary")
    assert gary["extension"] == str(acc["extension"])
    assert profile(api, gary["token"])["forwarding"]["always"]["enabled"] is False
    detail = api.ok(api.c.get(f"/api/v1/admin/accounts/{acc['id']}", headers=api.h))
    assert detail["forwarding"] == {}


def test_a_fixed_account_whose_agent_is_deleted_goes_to_the_pool_without_its_forwarding(
    api: Api,
) -> None:
    owner = api.agent("hana")
    acc = api.account(owner["id"], forwarding=FORWARD_ALWAYS)
    before = profile(api, api.sign_in("hana")["token"])
    assert api.c.delete(f"/api/v1/admin/agents/{owner['id']}", headers=api.h).status_code == 204
    api.agent("ian")
    ian = api.sign_in("ian")
    assert ian["pooled"] and ian["extension"] == str(acc["extension"])
    after = profile(api, ian["token"])
    assert after["forwarding"]["always"]["enabled"] is False
    assert after["sip"]["password"] != before["sip"]["password"]


# ------------------------------------------------------------ the password changes hands


@pytest.mark.parametrize("how", ["sign-out", "disable", "delete", "release"])
def test_the_next_holder_never_has_the_password_the_previous_one_saw(api: Api, how: str) -> None:
    acc = api.account(sip_domain="pbx.example.com")
    first = api.agent("jon")
    jon = api.sign_in("jon")
    seen = profile(api, jon["token"])["sip"]["password"]
    user = acc["sip_username"]
    assert seen_in_export(kamailio_export(api), user, "pbx.example.com", seen)

    if how == "sign-out":
        api.c.delete("/api/v1/sessions/current", headers=api.bearer(jon["token"]))
    elif how == "disable":
        api.ok(
            api.c.patch(
                f"/api/v1/admin/agents/{first['id']}", json={"active": False}, headers=api.h
            )
        )
    elif how == "delete":
        api.c.delete(f"/api/v1/admin/agents/{first['id']}", headers=api.h)
    else:
        released = api.ok(api.c.post(f"/api/v1/admin/accounts/{acc['id']}/release", headers=api.h))
        assert released["in_use_by"] is None

    # The registrar's table no longer takes the old password...
    assert not seen_in_export(kamailio_export(api), user, "pbx.example.com", seen)
    # ...and the next holder gets the account with another one.
    api.agent("kim")
    kim = api.sign_in("kim")
    assert kim["extension"] == str(acc["extension"])
    assert profile(api, kim["token"])["sip"]["password"] != seen


def test_a_disabled_fixed_agent_cannot_keep_registering(api: Api) -> None:
    owner = api.agent("lea")
    acc = api.account(owner["id"], sip_domain="pbx.example.com")
    seen = profile(api, api.sign_in("lea")["token"])["sip"]["password"]
    api.ok(
        api.c.patch(f"/api/v1/admin/agents/{owner['id']}", json={"active": False}, headers=api.h)
    )
    assert not seen_in_export(kamailio_export(api), acc["sip_username"], "pbx.example.com", seen)


# ------------------------------------------------------------------------ admin release


def test_an_admin_releases_a_number(api: Api) -> None:
    acc = api.account()
    api.agent("max")
    api.agent("nia")
    api.sign_in("max")
    assert rows(api)[acc["id"]]["in_use_by"] == "max"
    refused = api.c.post("/api/v1/sessions", json={"login": "nia", "password": "correct horse"})
    assert refused.status_code == 409

    released = api.ok(api.c.post(f"/api/v1/admin/accounts/{acc['id']}/release", headers=api.h))
    assert released["id"] == acc["id"] and released["in_use_by"] is None
    assert api.sign_in("nia")["extension"] == str(acc["extension"])

    missing = api.c.post("/api/v1/admin/accounts/987654/release", headers=api.h)
    assert missing.status_code == 404


def test_the_cli_releases_a_number(
    api: Api,
    db_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    acc = api.account()
    api.agent("olga")
    api.sign_in("olga")
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    capsys.readouterr()
    args = ["--db", db_url, "--data-dir", str(tmp_path / "data")]
    assert main(["accounts", "release", str(acc["id"]), *args]) == 0
    assert str(acc["extension"]) in capsys.readouterr().out
    assert rows(api)[acc["id"]]["in_use_by"] is None
    assert main(["accounts", "release", "987654", *args]) != 0

    desk = api.account(pool=False)
    capsys.readouterr()
    assert main(["accounts", "list", *args]) == 0
    listed = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()[1:]}
    assert "(not lent)" in listed[str(desk["id"])]
    assert "(pool)" in listed[str(acc["id"])]


# ------------------------------------------------------------------ a client that crashed


@pytest.fixture
def quick_leases(db_url: str, tmp_path: Path) -> Iterator[Api]:
    cfg = make_config(db_url, tmp_path, lease_idle_s=1, lease_sweep_s=0.1)
    with TestClient(create_app(cfg, migrate=False)) as client:
        yield Api(client, admin_token(cfg))


def test_a_lease_ends_when_the_client_stops_reporting(quick_leases: Api) -> None:
    api = quick_leases
    acc = api.account(sip_domain="pbx.example.com")
    api.agent("pia")
    api.agent("quin")
    pia = api.sign_in("pia")
    seen = profile(api, pia["token"])["sip"]["password"]
    api.ok(api.c.put("/api/v1/agent/status", json=STATUS, headers=api.bearer(pia["token"])))
    # The client crashed: no more reports. Its number goes back to the pool...
    wait_until(lambda: rows(api)[acc["id"]]["in_use_by"] is None)
    # ...with a password the crashed client never saw.
    wait_until(
        lambda: (
            not seen_in_export(kamailio_export(api), acc["sip_username"], "pbx.example.com", seen)
        )
    )
    quin = api.sign_in("quin")
    assert quin["extension"] == str(acc["extension"])


def test_a_client_that_reports_again_gets_a_number_back(quick_leases: Api) -> None:
    api = quick_leases
    acc = api.account()
    api.agent("rui")
    rui = api.sign_in("rui")
    wait_until(lambda: rows(api)[acc["id"]]["in_use_by"] is None)
    api.ok(api.c.put("/api/v1/agent/status", json=STATUS, headers=api.bearer(rui["token"])))
    assert rows(api)[acc["id"]]["in_use_by"] == "rui"
    assert profile(api, rui["token"])["agent"]["extension"] == str(acc["extension"])
