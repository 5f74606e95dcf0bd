"""The HTTP API in-process, on SQLite and PostgreSQL: every agent endpoint and rule."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from communicator.provisioning.server import db as db_mod
from communicator.provisioning.server.api import create_app
from communicator.provisioning.server.config import ServerConfig
from communicator.provisioning.server.errors import NO_FREE_NUMBER
from communicator.provisioning.server.models import VoipAccount

from .conftest import Api, admin_token, make_config

NOW = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)


def call_log(**kw: Any) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "direction": "outbound",
        "remote": "+48221234567",
        "started_at": NOW.isoformat(),
        "answered_at": (NOW + dt.timedelta(seconds=3)).isoformat(),
        "ended_at": (NOW + dt.timedelta(seconds=63)).isoformat(),
        "duration_s": 60.0,
        "end_reason": "local hangup",
        "sip_code": 200,
        "line": 1,
        "quality": {"mos": 4.2, "jitter_ms": 3.5},
        **kw,
    }


def setup_agent(api: Api, login: str = "anna", **account: Any) -> tuple[dict, dict, str]:
    group = api.group(f"group-{login}")
    agent = api.agent(login, group_id=group["id"])
    acc = api.account(agent["id"], **account)
    token = api.sign_in(login)["token"]
    return agent, acc, token


def test_sign_in_returns_token_and_profile_with_etag(api: Api) -> None:
    _agent, acc, _ = setup_agent(api, phone_number="+48 22 100 20 30", country_code="48")
    signed = api.sign_in("anna")
    assert signed["token_type"] == "Bearer"
    assert signed["agent"]["login"] == "anna"
    assert signed["extension"] == str(acc["extension"])
    assert signed["pooled"] is False
    h = api.bearer(signed["token"])

    resp = api.c.get("/api/v1/profile", headers=h)
    assert resp.status_code == 200
    etag = resp.headers["etag"]
    profile = resp.json()
    assert profile["agent"]["login"] == "anna"
    assert profile["agent"]["group"] == "group-anna"
    assert profile["agent"]["extension"] == str(acc["extension"])
    assert profile["sip"]["username"] == acc["sip_username"]
    assert profile["sip"]["password"].startswith("pw-")  # the client needs it to register

    again = api.c.get("/api/v1/profile", headers={**h, "If-None-Match": etag})
    assert again.status_code == 304
    assert again.headers["etag"] == etag
    assert again.content == b""

    api.ok(
        api.c.patch(
            f"/api/v1/admin/accounts/{acc['id']}", json={"caller_id": "Anna"}, headers=api.h
        )
    )
    changed = api.c.get("/api/v1/profile", headers={**h, "If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag
    assert changed.json()["sip"]["caller_id"] == "Anna"


def test_profile_is_valid_for_the_shared_schema(api: Api) -> None:
    schema = pytest.importorskip("communicator.provisioning.schema")
    if not hasattr(schema, "parse_profile"):
        pytest.skip("the shared profile schema is not there yet")
    _, _, token = setup_agent(api, codecs=["ulaw", "alaw", "g722"], transports=["tls", "udp"])
    resp = api.c.get("/api/v1/profile", headers=api.bearer(token))
    profile = schema.parse_profile(resp.content)
    assert resp.headers["etag"] == f'"{profile.etag}"'
    assert profile.media.codecs[:2] == ("PCMU", "PCMA")


def test_wrong_credentials_and_inactive_agent_get_401(api: Api) -> None:
    agent = api.agent("bob")
    api.account(agent["id"])
    for login, password in (("bob", "wrong password"), ("nobody", "correct horse")):
        resp = api.c.post("/api/v1/sessions", json={"login": login, "password": password})
        assert resp.status_code == 401
        assert resp.json() == {
            "error": "unauthorized",
            "message": "wrong login or password",
            "problems": [],
        }
    api.ok(
        api.c.patch(f"/api/v1/admin/agents/{agent['id']}", json={"active": False}, headers=api.h)
    )
    resp = api.c.post("/api/v1/sessions", json={"login": "bob", "password": "correct horse"})
    assert resp.status_code == 401
    assert "disabled" in resp.json()["message"]


def test_deactivating_an_agent_revokes_its_sessions(api: Api) -> None:
    agent, _, token = setup_agent(api, "carl")
    assert api.c.get("/api/v1/profile", headers=api.bearer(token)).status_code == 200
    api.ok(
        api.c.patch(f"/api/v1/admin/agents/{agent['id']}", json={"active": False}, headers=api.h)
    )
    assert api.c.get("/api/v1/profile", headers=api.bearer(token)).status_code == 401


def test_sign_out_revokes_the_token(api: Api) -> None:
    _, _, token = setup_agent(api)
    h = api.bearer(token)
    assert api.c.delete("/api/v1/sessions/current", headers=h).status_code == 204
    resp = api.c.get("/api/v1/profile", headers=h)
    assert resp.status_code == 401
    assert "signed out" in resp.json()["message"]
    assert api.c.delete("/api/v1/sessions/current", headers=h).status_code == 401


def test_missing_or_garbage_token_is_401_json(api: Api) -> None:
    for headers in ({}, {"Authorization": "Bearer nonsense"}, {"Authorization": "Basic eDp5"}):
        resp = api.c.get("/api/v1/profile", headers=headers)
        assert resp.status_code == 401
        assert resp.json()["error"] == "unauthorized"


def test_pool_accounts_are_lent_and_exhaustion_fails_with_the_seed_message(
    api: Api, config: ServerConfig
) -> None:
    pool = [api.account(), api.account()]
    for login in ("p1", "p2", "p3"):
        api.agent(login)
    first = api.sign_in("p1")
    second = api.sign_in("p2")
    assert first["pooled"] and second["pooled"]
    assert {first["extension"], second["extension"]} == {str(a["extension"]) for a in pool}
    rows = api.ok(api.c.get("/api/v1/admin/accounts", headers=api.h))
    assert {r["in_use_by"] for r in rows} == {"p1", "p2"}

    resp = api.c.post("/api/v1/sessions", json={"login": "p3", "password": "correct horse"})
    assert resp.status_code == 409
    assert resp.json()["message"] == NO_FREE_NUMBER == "No free number, or the number is invalid"

    # Signing in again keeps the same account; signing out returns it to the pool.
    assert api.sign_in("p1")["extension"] == first["extension"]
    api.c.delete("/api/v1/sessions/current", headers=api.bearer(first["token"]))
    resp = api.c.post("/api/v1/sessions", json={"login": "p3", "password": "correct horse"})
    assert resp.status_code == 409, "p1 still holds a live session"
    third = api.sign_in("p1")
    engine = db_mod.make_engine(config.db_url, pool_size=1)
    try:
        # Expire p1's lease as the clock would: its account is free for others.
        with db_mod.make_sessionmaker(engine)() as s:
            s.execute(
                update(VoipAccount)
                .where(VoipAccount.extension == int(third["extension"]))
                .values(lease_expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
            )
            s.commit()
    finally:
        engine.dispose()
    p3 = api.sign_in("p3")
    assert p3["extension"] == first["extension"]


def test_sign_out_releases_the_pool_account(api: Api) -> None:
    acc = api.account()
    api.agent("q1")
    api.agent("q2")
    q1 = api.sign_in("q1")
    assert q1["extension"] == str(acc["extension"])
    assert (
        api.c.post(
            "/api/v1/sessions", json={"login": "q2", "password": "correct horse"}
        ).status_code
        == 409
    )
    api.c.delete("/api/v1/sessions/current", headers=api.bearer(q1["token"]))
    assert api.sign_in("q2")["extension"] == str(acc["extension"])


def test_agent_whose_account_is_deleted_borrows_one_from_the_pool(api: Api) -> None:
    agent, acc, token = setup_agent(api, "xena")
    spare = api.account()
    assert api.c.delete(f"/api/v1/admin/accounts/{acc['id']}", headers=api.h).status_code == 204
    profile = api.ok(api.c.get("/api/v1/profile", headers=api.bearer(token)))
    assert profile["agent"]["extension"] == str(spare["extension"])
    api.c.delete(f"/api/v1/admin/accounts/{spare['id']}", headers=api.h)
    gone = api.c.get("/api/v1/profile", headers=api.bearer(token))
    assert gone.status_code == 409 and gone.json()["error"] == "no_free_number"
    _ = agent


def test_inactive_fixed_account_means_no_number(api: Api) -> None:
    agent = api.agent("dora")
    api.account(agent["id"], active=False)
    resp = api.c.post("/api/v1/sessions", json={"login": "dora", "password": "correct horse"})
    assert resp.status_code == 409
    assert resp.json()["message"] == NO_FREE_NUMBER


def test_group_defaults_with_agent_override(api: Api) -> None:
    reasons = [{"code": "break", "label": "Break"}, {"code": "lunch", "label": "Lunch"}]
    group = api.group("support", not_ready_reasons=reasons, wrap_up_s=30)
    a1 = api.agent("gina", group_id=group["id"])
    a2 = api.agent("hugo", group_id=group["id"], wrap_up_s=5, not_ready_reasons=[])
    api.account(a1["id"])
    api.account(a2["id"])
    p1 = api.c.get("/api/v1/profile", headers=api.bearer(api.sign_in("gina")["token"])).json()
    p2 = api.c.get("/api/v1/profile", headers=api.bearer(api.sign_in("hugo")["token"])).json()
    assert p1["call_center"]["wrap_up_seconds"] == 30
    assert [r["code"] for r in p1["call_center"]["not_ready_reasons"]] == ["break", "lunch"]
    assert p2["call_center"]["wrap_up_seconds"] == 5
    assert p2["call_center"]["not_ready_reasons"] == []
    out = api.ok(api.c.get(f"/api/v1/admin/agents/{a2['id']}", headers=api.h))
    assert out["effective_wrap_up_s"] == 5 and out["wrap_up_s"] == 5


def test_extensions_are_unique_auto_assigned_and_recycled(api: Api) -> None:
    g = api.group("sales")
    assert g["extension"] == 100
    a = api.account()
    b = api.account(forwarding={"always": {"enabled": True, "target": "+48221112233"}})
    assert (a["extension"], b["extension"]) == (101, 102)
    c = api.account(extension=150)
    assert c["extension"] == 150

    dup = api.c.post(
        "/api/v1/admin/accounts",
        json={"sip_username": "x1", "sip_password": "p", "sip_server": "h", "extension": 150},
        headers=api.h,
    )
    assert dup.status_code == 409 and "150" in dup.json()["message"]
    clash = api.c.post("/api/v1/admin/groups", json={"name": "g2", "extension": 100}, headers=api.h)
    assert clash.status_code == 409
    out = api.c.post(
        "/api/v1/admin/accounts",
        json={"sip_username": "x2", "sip_password": "p", "sip_server": "h", "extension": 1000},
        headers=api.h,
    )
    assert out.status_code == 422 and "100-999" in out.json()["message"]

    assert api.c.delete(f"/api/v1/admin/accounts/{b['id']}", headers=api.h).status_code == 204
    recycled = api.account()
    assert recycled["extension"] == 102
    detail = api.ok(api.c.get(f"/api/v1/admin/accounts/{recycled['id']}", headers=api.h))
    assert detail["forwarding"] == {}  # forwarding reset with the recycled extension
    agent = api.agent("ivan")
    api.ok(
        api.c.patch(
            f"/api/v1/admin/accounts/{recycled['id']}",
            json={"agent_id": agent["id"]},
            headers=api.h,
        )
    )
    profile = api.c.get("/api/v1/profile", headers=api.bearer(api.sign_in("ivan")["token"])).json()
    assert profile["forwarding"]["always"]["enabled"] is False


def test_extension_range_is_configurable(db_url: str, tmp_path: Path) -> None:
    cfg = make_config(db_url, tmp_path, extension_min=2000, extension_max=2001)
    with TestClient(create_app(cfg, migrate=False)) as client:
        api = Api(client, admin_token(cfg))
        assert api.account()["extension"] == 2000
        assert api.account()["extension"] == 2001
        resp = client.post(
            "/api/v1/admin/accounts",
            json={"sip_username": "z", "sip_password": "p", "sip_server": "h"},
            headers=api.h,
        )
        assert resp.status_code == 409
        assert "no free extension" in resp.json()["message"]


def test_call_logs_are_idempotent_by_uuid(api: Api) -> None:
    _, _, token = setup_agent(api)
    h = api.bearer(token)
    logs = [call_log(), call_log(direction="inbound", remote="sip:bob@example.com"), call_log()]
    first = api.ok(api.c.post("/api/v1/call-logs", json={"logs": logs}, headers=h))
    ids = [x["id"] for x in logs]
    assert (first["accepted"], first["duplicates"], first["rejected"]) == (ids, [], [])
    again = api.ok(api.c.post("/api/v1/call-logs", json={"logs": logs}, headers=h))
    assert again["accepted"] == ids and again["duplicates"] == ids
    report = api.ok(api.c.get("/api/v1/admin/reports/calls", headers=api.h))
    assert report["total"] == 3
    assert {r["id"] for r in report["rows"]} == set(ids)

    first_log = call_log()
    mixed: list[Any] = [
        first_log,
        {"id": "not-a-uuid", "direction": "x"},
        7,
        call_log(duration_s=-1),
    ]
    res = api.ok(api.c.post("/api/v1/call-logs", json={"logs": mixed}, headers=h))
    assert res["accepted"] == [first_log["id"]]
    assert [r["index"] for r in res["rejected"]] == [1, 2, 3]
    assert "duration_s" in res["rejected"][2]["error"]


def test_delivery_token_delivers_logs_after_sign_out(api: Api) -> None:
    agent = api.agent("wendy")
    acc = api.account(agent["id"])
    signed = api.sign_in("wendy")
    delivery = signed["delivery_token"]
    assert delivery.startswith("cd_") and delivery != signed["token"]
    assert (
        api.c.delete("/api/v1/sessions/current", headers=api.bearer(signed["token"])).status_code
        == 204
    )
    log = call_log()
    res = api.ok(
        api.c.post("/api/v1/call-logs", json={"logs": [log]}, headers=api.bearer(delivery))
    )
    assert res["accepted"] == [log["id"]]
    up = api.c.put(
        f"/api/v1/call-logs/{log['id']}/recording",
        content=b"RIFFdata",
        headers={**api.bearer(delivery), "Content-Type": "audio/wav"},
    )
    assert up.status_code == 200
    row = api.ok(api.c.get("/api/v1/admin/reports/calls", headers=api.h))["rows"][0]
    assert row["agent_login"] == "wendy" and row["extension"] == acc["extension"]
    # It opens nothing else.
    assert api.c.get("/api/v1/profile", headers=api.bearer(delivery)).status_code == 401
    assert api.c.get("/api/v1/directory", headers=api.bearer(delivery)).status_code == 401
    bogus = api.c.post("/api/v1/call-logs", json={"logs": []}, headers=api.bearer("cd_nope"))
    assert bogus.status_code == 401


def test_an_agent_cannot_touch_another_agents_logs(api: Api) -> None:
    _, _, ta = setup_agent(api, "ann")
    _, _, tb = setup_agent(api, "ben")
    log = call_log()
    api.ok(api.c.post("/api/v1/call-logs", json={"logs": [log]}, headers=api.bearer(ta)))
    res = api.ok(api.c.post("/api/v1/call-logs", json={"logs": [log]}, headers=api.bearer(tb)))
    assert res["accepted"] == [] and res["rejected"][0]["code"] == "conflict"
    up = api.c.put(
        f"/api/v1/call-logs/{log['id']}/recording",
        content=b"RIFF....",
        headers={**api.bearer(tb), "Content-Type": "audio/wav"},
    )
    assert up.status_code == 404
    pa = api.c.get("/api/v1/profile", headers=api.bearer(ta)).json()
    pb = api.c.get("/api/v1/profile", headers=api.bearer(tb)).json()
    assert pa["agent"]["login"] == "ann" and pb["agent"]["login"] == "ben"
    # Agent tokens open no admin endpoint.
    for path in ("/api/v1/admin/agents", "/api/v1/admin/reports/calls", "/api/v1/admin/accounts"):
        assert api.c.get(path, headers=api.bearer(ta)).status_code == 401


def test_recording_upload_is_idempotent_and_linked_from_the_report(
    api: Api, config: ServerConfig
) -> None:
    _, _, token = setup_agent(api)
    h = api.bearer(token)
    log = call_log()
    audio = b"RIFF" + bytes(range(256)) * 40
    url = f"/api/v1/call-logs/{log['id']}/recording"
    early = api.c.put(url, content=audio, headers={**h, "Content-Type": "audio/wav"})
    assert early.status_code == 404 and "post the log" in early.json()["message"]
    api.ok(api.c.post("/api/v1/call-logs", json={"logs": [log]}, headers=h))
    first = api.ok(api.c.put(url, content=audio, headers={**h, "Content-Type": "audio/wav"}))
    assert first["stored"] is True and first["size"] == len(audio)
    second = api.ok(api.c.put(url, content=audio, headers={**h, "Content-Type": "audio/wav"}))
    assert second["stored"] is False and second["sha256"] == first["sha256"]
    files = [p for p in config.recordings_dir.iterdir() if not p.name.startswith(".")]
    assert [p.name for p in files] == [f"{log['id']}.wav"]
    assert not [p for p in config.recordings_dir.iterdir() if p.name.startswith(".")]

    row = api.ok(api.c.get("/api/v1/admin/reports/calls", headers=api.h))["rows"][0]
    assert row["recording_url"] == f"/api/v1/admin/call-logs/{log['id']}/recording"
    got = api.c.get(row["recording_url"], headers=api.h)
    assert got.status_code == 200 and got.content == audio
    assert got.headers["content-type"].startswith("audio/wav")
    dl = api.c.get(row["recording_url"] + "?download=true", headers=api.h)
    assert dl.headers["content-disposition"].startswith("attachment")
    bad = api.c.put(url, content=audio, headers={**h, "Content-Type": "text/plain"})
    assert bad.status_code == 422


def test_reports_filter_by_agent_group_number_and_period(api: Api) -> None:
    _, _, ta = setup_agent(api, "rita")
    _, _, tb = setup_agent(api, "sam")
    day = dt.timedelta(days=1)
    la = [call_log(remote="+4811", started_at=(NOW - day).isoformat()), call_log(remote="+4822")]
    lb = [call_log(remote="+4833", started_at=(NOW + day).isoformat())]
    api.ok(api.c.post("/api/v1/call-logs", json={"logs": la}, headers=api.bearer(ta)))
    api.ok(api.c.post("/api/v1/call-logs", json={"logs": lb}, headers=api.bearer(tb)))

    def ids(**params: str) -> set[str]:
        resp = api.ok(api.c.get("/api/v1/admin/reports/calls", params=params, headers=api.h))
        return {r["id"] for r in resp["rows"]}

    assert ids(agent="rita") == {la[0]["id"], la[1]["id"]}
    assert ids(group="group-sam") == {lb[0]["id"]}
    assert ids(number="4822") == {la[1]["id"]}
    assert ids(**{"from": NOW.isoformat(), "to": (NOW + dt.timedelta(hours=1)).isoformat()}) == {
        la[1]["id"]
    }
    csv_resp = api.c.get("/api/v1/admin/reports/calls", params={"format": "csv"}, headers=api.h)
    assert csv_resp.status_code == 200
    assert csv_resp.headers["content-type"].startswith("text/csv")
    lines = csv_resp.text.strip().splitlines()
    assert lines[0].startswith("id,agent,agent_login,group,extension")
    assert len(lines) == 4
    missing = api.c.get("/api/v1/admin/reports/calls", params={"agent": "ghost"}, headers=api.h)
    assert missing.status_code == 404


def test_directory_lists_agents_and_groups_with_extensions(api: Api) -> None:
    _, acc, token = setup_agent(api, "tina")
    api.agent("umar")
    d = api.ok(api.c.get("/api/v1/directory", headers=api.bearer(token)))
    by_name = {a["display_name"]: a for a in d["agents"]}
    assert by_name["Tina"]["extension"] == acc["extension"]
    assert by_name["Umar"]["extension"] is None
    # No login names: a list of them would be a ready list for password guessing.
    assert all(set(a) == {"display_name", "group", "extension"} for a in d["agents"])
    assert '"tina"' not in api.c.get("/api/v1/directory", headers=api.bearer(token)).text
    assert {"name": "group-tina", "extension": 100} in d["groups"]
    assert api.c.get("/api/v1/directory").status_code == 401


def test_an_agent_or_group_created_after_the_directory_was_read_is_listed_at_once(
    api: Api,
) -> None:
    """The server keeps the directory it built until something changes: a new agent (with no
    number yet) or a new group without members is such a change."""
    _, _, token = setup_agent(api, "tina")
    before = api.ok(api.c.get("/api/v1/directory", headers=api.bearer(token)))
    assert "Vera New" not in {a["display_name"] for a in before["agents"]}
    api.agent("vera", display_name="Vera New")
    after = api.ok(api.c.get("/api/v1/directory", headers=api.bearer(token)))
    listed = {a["display_name"]: a["extension"] for a in after["agents"]}
    assert "Vera New" in listed and listed["Vera New"] is None
    group = api.group("Night shift")
    after = api.ok(api.c.get("/api/v1/directory", headers=api.bearer(token)))
    assert {"name": "Night shift", "extension": group["extension"]} in after["groups"]


def test_invalid_requests_get_4xx_json_naming_the_problem(api: Api) -> None:
    _, _, token = setup_agent(api)
    h = api.bearer(token)
    cases = [
        api.c.post(
            "/api/v1/sessions", content=b"{not json", headers={"Content-Type": "application/json"}
        ),
        api.c.post("/api/v1/sessions", json={"login": "x"}),
        api.c.post("/api/v1/sessions", json={"login": "x", "password": "y", "extra": 1}),
        api.c.post("/api/v1/call-logs", content=b"[[[", headers=h),
        api.c.post("/api/v1/call-logs", json={"nope": 1}, headers=h),
        api.c.get("/api/v1/nothing-here"),
        api.c.put("/api/v1/profile", headers=h),
        api.c.put("/api/v1/call-logs/not-a-uuid/recording", content=b"x", headers=h),
        api.c.post(
            "/api/v1/admin/agents",
            json={"login": "has space", "password": "12345678"},
            headers=api.h,
        ),
        api.c.post(
            "/api/v1/admin/accounts",
            json={"sip_username": "u", "sip_password": "p", "sip_server": "h", "sip_port": 70000},
            headers=api.h,
        ),
        api.c.get("/api/v1/admin/agents/999999", headers=api.h),
        api.c.patch("/api/v1/admin/groups/1", json={"call_order": "alphabetical"}, headers=api.h),
    ]
    for resp in cases:
        assert 400 <= resp.status_code < 500, (resp.request.url, resp.status_code, resp.text)
        body = resp.json()
        assert body["error"] and body["message"], body
    assert "password" in cases[1].json()["message"]
    assert "sip_port" in cases[9].json()["message"]
    big = api.c.post(
        "/api/v1/sessions",
        content=b'{"login": "' + b"a" * (2 << 20) + b'", "password": "x"}',
        headers={"Content-Type": "application/json"},
    )
    assert big.status_code == 413 and big.json()["error"] == "too_large"

    def chunks():
        yield b'{"logs": ['
        for _ in range(200):
            yield b'{"id": "' + b"x" * 50_000 + b'"},'
        yield b"{}]}"

    chunked = api.c.post("/api/v1/call-logs", content=chunks(), headers=h)
    assert chunked.status_code == 413 and chunked.json()["error"] == "too_large"


def test_sign_in_is_rate_limited_per_agent_and_per_address(db_url: str, tmp_path: Path) -> None:
    cfg = make_config(
        db_url,
        tmp_path,
        signin_burst_per_agent=3,
        signin_rate_per_agent=0.001,
        signin_burst_per_address=6,
        signin_rate_per_address=0.001,
    )
    with TestClient(create_app(cfg, migrate=False)) as client:
        api = Api(client, admin_token(cfg))
        for _ in range(3):
            r = client.post("/api/v1/sessions", json={"login": "eve", "password": "guess"})
            assert r.status_code == 401
        r = client.post("/api/v1/sessions", json={"login": "eve", "password": "guess"})
        assert r.status_code == 429
        assert int(r.headers["retry-after"]) >= 1
        assert "this agent" in r.json()["message"]
        for login in ("f1", "f2"):
            client.post("/api/v1/sessions", json={"login": login, "password": "guess"})
        r = client.post("/api/v1/sessions", json={"login": "f3", "password": "guess"})
        assert r.status_code == 429 and "this address" in r.json()["message"]
        _ = api


def test_secrets_stay_out_of_logs_and_the_database(
    api: Api, config: ServerConfig, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    agent = api.agent("vera", password="agent-password-123")
    api.account(agent["id"], sip_password="sip-secret-456")
    token = api.sign_in("vera", "agent-password-123")["token"]
    api.c.get("/api/v1/profile", headers=api.bearer(token))
    text = caplog.text
    for secret in ("agent-password-123", "sip-secret-456", token):
        assert secret not in text
    engine = db_mod.make_engine(config.db_url, pool_size=1)
    try:
        with db_mod.make_sessionmaker(engine)() as s:
            raw = s.scalars(select(VoipAccount.sip_password_enc)).one()
            assert b"sip-secret-456" not in bytes(raw)
    finally:
        engine.dispose()
    from communicator.provisioning.server.api_models import AccountCreate, SignInRequest

    assert "agent-password-123" not in repr(SignInRequest(login="v", password="agent-password-123"))
    assert "sip-secret-456" not in repr(
        AccountCreate(sip_username="u", sip_password="sip-secret-456", sip_server="h")
    )
    key = config.data_dir / "server.key"
    assert key.exists() and (key.stat().st_mode & 0o777) == 0o600


def test_report_dates_out_of_range_are_rejected_not_500(api: Api) -> None:
    """Found by schemathesis: year 921 with a UTC offset in `from` gave a 500."""
    for bad in ("0921-06-27T05:09:51.7-04:39", "0001-01-01T00:00:00+04:00", "1900-01-01"):
        resp = api.c.get(
            "/api/v1/admin/reports/calls",
            params={"from": bad, "format": "csv", "offset": 2097151},
            headers=api.h,
        )
        assert resp.status_code == 422, (bad, resp.text)
        assert "1970" in resp.json()["message"]
