"""Bad input gets a 4xx, never a 500 (SQLite and PostgreSQL): deeply nested JSON, dates at the
ends of the calendar, odd report filters, NUL characters and lone surrogates in any string,
and oversized bodies sent chunked."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from .conftest import Api

JSON = {"content-type": "application/json"}


def nested_object(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


def nested_forwarding(depth: int) -> dict[str, Any]:
    value: Any = 1
    for _ in range(depth):
        value = {"x": value}
    return value


def refused(resp: Any, *codes: int) -> dict[str, Any]:
    """A 4xx with the documented error body (and the code expected, when given)."""
    assert 400 <= resp.status_code < 500, (resp.status_code, resp.text[:300])
    if codes:
        assert resp.status_code in codes, (resp.status_code, resp.text[:300])
    body = resp.json()
    assert body["error"] and body["message"], body
    return dict(body)


# ------------------------------------------------------------------------------ nested JSON


def test_sign_in_body_of_100000_brackets(api: Api) -> None:
    refused(api.c.post("/api/v1/sessions", content=b"[" * 100_000, headers=JSON), 400)


def test_agent_body_nested_50000_deep(api: Api) -> None:
    resp = api.c.post(
        "/api/v1/admin/agents", content=nested_object(50_000), headers={**api.h, **JSON}
    )
    refused(resp, 400)


@pytest.mark.parametrize("how", ["create", "update"])
def test_forwarding_900_deep(api: Api, how: str) -> None:
    deep = nested_forwarding(900)
    if how == "create":
        body = {"sip_username": "deep", "sip_password": "pw", "sip_server": "127.0.0.1"}
        resp = api.c.post(
            "/api/v1/admin/accounts",
            content=json.dumps({**body, "forwarding": deep}),
            headers={**api.h, **JSON},
        )
    else:
        acc = api.account()
        resp = api.c.patch(
            f"/api/v1/admin/accounts/{acc['id']}",
            content=json.dumps({"forwarding": deep}),
            headers={**api.h, **JSON},
        )
    refused(resp, 400, 422)
    names = {a["sip_username"] for a in api.ok(api.c.get("/api/v1/admin/accounts", headers=api.h))}
    assert "deep" not in names


@pytest.mark.parametrize("depth", [900, 70])
def test_forwarding_nested_in_the_csv_import(api: Api, depth: int) -> None:
    cell = json.dumps(nested_forwarding(depth)).replace('"', '""')
    text = f'sip_username,sip_password,sip_server,forwarding\ncsv-deep,pw,127.0.0.1,"{cell}"\n'
    resp = api.c.post(
        "/api/v1/admin/accounts/import", content=text, headers={**api.h, "content-type": "text/csv"}
    )
    body = refused(resp, 422)
    assert body["problems"] and body["problems"][0]["line"] == 2
    names = {a["sip_username"] for a in api.ok(api.c.get("/api/v1/admin/accounts", headers=api.h))}
    assert "csv-deep" not in names


def test_moderate_nesting_still_works(api: Api) -> None:
    """The depth limit leaves room for every real body (a forwarding of a few levels)."""
    acc = api.account()
    fwd = {"always": {"enabled": False, "target": ""}, "busy": {"enabled": True, "target": "200"}}
    resp = api.c.patch(
        f"/api/v1/admin/accounts/{acc['id']}", json={"forwarding": fwd}, headers=api.h
    )
    assert resp.status_code in (200, 422), resp.text  # 422: a rule name this server refuses
    assert resp.status_code != 400


# -------------------------------------------------------------------------------- dates


EDGE_DATES = [
    "0001-01-01T00:00:00+14:00",
    "0001-01-01T00:00:00+00:00",
    "9999-12-31T23:59:59-14:00",
    "9999-12-31T23:59:59.999999-00:01",
    "9999-12-31T23:59:59.999999+00:00",
    "0001-01-01",
    "9999-12-31",
]


@pytest.mark.parametrize("when", EDGE_DATES)
@pytest.mark.parametrize("bound", ["from", "to"])
def test_report_dates_at_the_calendar_ends(api: Api, bound: str, when: str) -> None:
    resp = api.c.get("/api/v1/admin/reports/calls", params={bound: when}, headers=api.h)
    assert resp.status_code in (200, 422), (resp.status_code, resp.text)


# ------------------------------------------------------------------------------ report filters

ODD_FILTERS = ["²", "١٢", "12345678901234567890", "-1", "0", "99999999999", "+5", " 7", "a\x00b"]


@pytest.mark.parametrize("value", ODD_FILTERS)
@pytest.mark.parametrize("name", ["agent", "group"])
def test_report_filter_odd_values(api: Api, name: str, value: str) -> None:
    resp = api.c.get("/api/v1/admin/reports/calls", params={name: value}, headers=api.h)
    refused(resp, 404, 422)


@pytest.mark.parametrize("value", ["\x00", "12\x00", "%_\\", "²"])
def test_report_number_filter_odd_values(api: Api, value: str) -> None:
    resp = api.c.get("/api/v1/admin/reports/calls", params={"number": value}, headers=api.h)
    assert resp.status_code in (200, 422), (resp.status_code, resp.text)


def test_report_filter_by_numeric_id_still_works(api: Api) -> None:
    agent = api.agent("erin")
    resp = api.c.get(
        "/api/v1/admin/reports/calls", params={"agent": str(agent["id"])}, headers=api.h
    )
    assert resp.status_code == 200, resp.text


# ------------------------------------------------------------------- NUL and lone surrogates

BAD_TEXT = {"NUL": "a\\u0000b", "lone surrogate": "a\\ud800b"}


def raw_json(template: str, bad: str) -> bytes:
    return template.replace("@", bad).encode()


@pytest.mark.parametrize("bad", list(BAD_TEXT), ids=list(BAD_TEXT))
@pytest.mark.parametrize("field", ["login", "password"])
def test_sign_in_with_bad_characters(api: Api, field: str, bad: str) -> None:
    api.agent("fay")
    body = {"login": "fay", "password": "correct horse"}
    body[field] = "@"
    resp = api.c.post(
        "/api/v1/sessions", content=raw_json(json.dumps(body), BAD_TEXT[bad]), headers=JSON
    )
    refused(resp, 401, 422)


ADMIN_BODIES = [
    ("post", "/api/v1/admin/agents", '{"login": "@", "password": "correct horse"}'),
    ("post", "/api/v1/admin/agents", '{"login": "gus", "password": "x@yyyyyyyy"}'),
    ("post", "/api/v1/admin/agents", '{"login": "gus", "password": "pw", "display_name": "@"}'),
    ("post", "/api/v1/admin/agents", '{"login": "gus", "password": "pw", "email": "@"}'),
    (
        "post",
        "/api/v1/admin/agents",
        '{"login": "gus", "password": "pw", "not_ready_reasons": [{"code": "@", "label": "L"}]}',
    ),
    ("post", "/api/v1/admin/groups", '{"name": "@"}'),
    ("post", "/api/v1/admin/groups", '{"name": "g", "screen_pop_url": "http://x/@"}'),
    (
        "post",
        "/api/v1/admin/accounts",
        '{"sip_username": "@", "sip_password": "pw", "sip_server": "h"}',
    ),
    (
        "post",
        "/api/v1/admin/accounts",
        '{"sip_username": "u", "sip_password": "@", "sip_server": "h"}',
    ),
    (
        "post",
        "/api/v1/admin/accounts",
        '{"sip_username": "u", "sip_password": "p", "sip_server": "h", "forwarding": {"@": 1}}',
    ),
    (
        "post",
        "/api/v1/admin/accounts",
        '{"sip_username": "u", "sip_password": "p", "sip_server": "h", "workstation_ip": "@"}',
    ),
]


@pytest.mark.parametrize("bad", list(BAD_TEXT), ids=list(BAD_TEXT))
@pytest.mark.parametrize(("method", "path", "template"), ADMIN_BODIES)
def test_admin_bodies_with_bad_characters(
    api: Api, method: str, path: str, template: str, bad: str
) -> None:
    resp = api.c.request(
        method, path, content=raw_json(template, BAD_TEXT[bad]), headers={**api.h, **JSON}
    )
    refused(resp, 422)


@pytest.mark.parametrize("bad", ["\x00", "\ud800"], ids=["NUL", "lone surrogate"])
def test_csv_import_with_bad_characters(api: Api, bad: str) -> None:
    text = f"sip_username,sip_password,sip_server,caller_id\ncsvbad,pw,127.0.0.1,Ann{bad}\n"
    resp = api.c.post(
        "/api/v1/admin/accounts/import",
        content=text.encode("utf-8", "surrogatepass"),
        headers={**api.h, "content-type": "text/csv"},
    )
    refused(resp, 400, 422)


def test_agent_update_with_nul(api: Api) -> None:
    agent = api.agent("hal")
    resp = api.c.patch(
        f"/api/v1/admin/agents/{agent['id']}",
        content=b'{"display_name": "H\\u0000"}',
        headers={**api.h, **JSON},
    )
    refused(resp, 422)


# ---------------------------------------------------------------------------- chunked bodies


def chunks(total: int, size: int = 64 * 1024) -> Iterator[bytes]:
    sent = 0
    while sent < total:
        yield b" " * min(size, total - sent)
        sent += size


@pytest.mark.parametrize(
    ("path", "admin"),
    [
        ("/api/v1/sessions", False),
        ("/api/v1/admin/agents", True),
        ("/api/v1/call-logs", False),
        ("/api/v1/admin/accounts/import", True),
    ],
)
def test_chunked_oversized_body_is_413(api: Api, path: str, admin: bool) -> None:
    headers = {**JSON, **(api.h if admin else {})}
    if path == "/api/v1/call-logs":
        agent = api.agent("ivy")
        api.account(agent["id"])
        headers.update(api.bearer(api.sign_in("ivy")["token"]))
    resp = api.c.post(path, content=chunks(10 << 20), headers=headers)
    refused(resp, 413)


@pytest.mark.parametrize("typed", ["%", "_", "\\", "1%", "\\%", "2_3"])
def test_report_number_filter_is_literal(api: Api, typed: str) -> None:
    """LIKE's wildcards and escape in the number filter are searched as typed (PostgreSQL once
    refused a pattern ending in a backslash)."""
    agent = api.agent("nina")
    api.account(agent["id"])
    token = api.sign_in("nina")["token"]
    logs = [
        {
            "id": f"00000000-0000-4000-8000-00000000000{n}",
            "direction": "outbound",
            "remote": remote,
            "started_at": "2026-03-02T09:30:00+00:00",
        }
        for n, remote in enumerate(["+48221234567", f"x{typed}y"])
    ]
    api.ok(api.c.post("/api/v1/call-logs", json={"logs": logs}, headers=api.bearer(token)))
    resp = api.c.get("/api/v1/admin/reports/calls", params={"number": typed}, headers=api.h)
    assert resp.status_code == 200, resp.text
    assert [r["remote"] for r in resp.json()["rows"]] == [f"x{typed}y"]
