"""Property tests over every operation of the OpenAPI document (SQLite and PostgreSQL): hostile
values in any query parameter, path parameter or JSON body field, deeply nested bodies and
chunked oversized bodies get a 4xx with the JSON error body, never a 5xx."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest import Api

HOSTILE = [
    "\x00",
    "a\x00b",
    "²",
    "١٢",
    "12345678901234567890",
    "-12345678901234567890",
    "99999999999",
    "0",
    "-1",
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-14:00",
    "9999-12-31T23:59:59.999999-00:01",
    "0000-00-00",
    "NaN",
    "Infinity",
    "1e999",
    "%",
    "_",
    "\\",
    "'",
    '"',
    "=cmd",
    "\u202e",
    "\ufeff",
    "x" * 5000,
]
HOSTILE_JSON: list[Any] = [
    *HOSTILE,
    "\ud800",
    12345678901234567890,
    -(2**70),
    1e308,
    None,
    True,
    [],
    {},
    {"": None},
    {"\x00": 1},
]


def hostile_text() -> st.SearchStrategy[str]:
    return st.sampled_from(HOSTILE) | st.text(max_size=40)


def hostile_value() -> st.SearchStrategy[Any]:
    return st.sampled_from(HOSTILE_JSON) | st.text(max_size=40) | st.integers()


@pytest.fixture
def operations(api: Api) -> list[tuple[str, str, dict[str, Any]]]:
    doc = api.ok(api.c.get("/openapi.json"))
    found = []
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if path == "/api/v1/profile/events":
                continue  # a stream that never ends by itself (test_live.py)
            found.append((method, path, op))
    assert len(found) > 20
    return found


def setup(api: Api) -> dict[str, str]:
    """An agent signed in (its token), so agent routes get past authentication."""
    agent = api.agent("prop")
    api.account(agent["id"])
    api.account()
    return api.bearer(api.sign_in("prop")["token"])


def headers_for(api: Api, path: str, agent: dict[str, str]) -> dict[str, str]:
    return api.h if path.startswith("/api/v1/admin") else agent


def body_fields(op: dict[str, Any], doc: dict[str, Any]) -> list[str]:
    content = op.get("requestBody", {}).get("content", {})
    schema = content.get("application/json", {}).get("schema")
    if schema is None:
        return []
    ref = schema.get("$ref", "")
    if ref:
        schema = doc["components"]["schemas"][ref.rsplit("/", 1)[1]]
    return list(schema.get("properties", {}))


def fill_path(path: str, value: str) -> str:
    return re.sub(r"\{[^}]+\}", value, path)


def check(resp: Any, what: str) -> None:
    assert resp.status_code < 500, (what, resp.status_code, resp.text[:300])
    if resp.status_code >= 400 and resp.content:
        body = resp.json()
        assert body["error"] and body["message"], (what, body)


SETTINGS = settings(
    deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
)


def send_query(
    api: Api, method: str, path: str, agent: dict[str, str], name: str, value: str
) -> None:
    url = fill_path(path, "1")
    resp = api.c.request(method, url, params={name: value}, headers=headers_for(api, path, agent))
    check(resp, f"{method.upper()} {url} ?{name}={value!r}")
    if "{" in path:
        url = fill_path(path, quote(value, safe="") or "x")
        resp = api.c.request(method, url, headers=headers_for(api, path, agent))
        check(resp, f"{method.upper()} {url!r}")


def query_property(
    api: Api, method: str, path: str, agent: dict[str, str], names: list[str]
) -> Any:
    @given(value=st.text(max_size=40), name=st.sampled_from(names))
    @settings(SETTINGS, max_examples=10)
    def run(value: str, name: str) -> None:
        send_query(api, method, path, agent, name, value)

    return run


def test_hostile_query_and_path_values(api: Api, operations: list[Any]) -> None:
    agent = setup(api)
    for method, path, op in operations:
        names = [p["name"] for p in op.get("parameters", []) if p["in"] == "query"] or ["q"]
        for name in names:
            for value in HOSTILE:
                send_query(api, method, path, agent, name, value)
        query_property(api, method, path, agent, names)()
        agent = setup_again(api, agent)


def setup_again(api: Api, agent: dict[str, str]) -> dict[str, str]:
    """A fuzzed call may have signed the agent out, changed or disabled it, or deleted it."""
    if api.c.get("/api/v1/profile", headers=agent).status_code == 200:
        return agent
    found = [
        a for a in api.ok(api.c.get("/api/v1/admin/agents", headers=api.h)) if a["login"] == "prop"
    ]
    if not found:
        return setup(api)
    body = {"password": "correct horse", "active": True}
    api.ok(api.c.patch(f"/api/v1/admin/agents/{found[0]['id']}", json=body, headers=api.h))
    if found[0]["account_id"] is None:
        api.account(found[0]["id"])
    return api.bearer(api.sign_in("prop")["token"])


def body_property(
    api: Api, method: str, path: str, agent: dict[str, str], fields: list[str]
) -> Any:
    @given(body=st.dictionaries(st.sampled_from(fields), hostile_value(), min_size=1, max_size=4))
    @settings(SETTINGS, max_examples=25)
    def run(body: dict[str, Any]) -> None:
        url = fill_path(path, "1")
        raw = json.dumps(body, ensure_ascii=True)  # lone surrogates as \\ud800 escapes
        headers = {**headers_for(api, path, agent), "content-type": "application/json"}
        resp = api.c.request(method, url, content=raw.encode(), headers=headers)
        check(resp, f"{method.upper()} {url} {raw[:200]}")

    return run


def test_hostile_json_fields(api: Api, operations: list[Any]) -> None:
    agent = setup(api)
    doc = api.ok(api.c.get("/openapi.json"))
    for method, path, op in operations:
        fields = body_fields(op, doc)
        if fields:
            body_property(api, method, path, agent, fields)()
            agent = setup_again(api, agent)


def deep(n: int) -> bytes:
    return b'{"a":' * n + b"1" + b"}" * n


def chunks(total: int) -> Iterator[bytes]:
    for _ in range(total // 65536 + 1):
        yield b" " * 65536


def test_deep_and_oversized_bodies_everywhere(api: Api, operations: list[Any]) -> None:
    agent = setup(api)
    for method, path, op in operations:
        if "requestBody" not in op:
            continue
        url = fill_path(path, "1")
        headers = {**headers_for(api, path, agent), "content-type": "application/json"}
        for body in (b"[" * 100_000, deep(50_000)):
            check(api.c.request(method, url, content=body, headers=headers), f"{url} deep")
        if not path.endswith("/recording"):
            resp = api.c.request(method, url, content=chunks(9 << 20), headers=headers)
            assert resp.status_code in (401, 404, 413), (url, resp.status_code)
        agent = setup_again(api, agent)
