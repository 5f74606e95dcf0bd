"""Call-log ingestion never gets stuck: each log of a batch is accepted or refused on its own,
with a reason, and the good logs of a batch with a bad one are stored (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import json
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from communicator.provisioning.server import db as db_mod
from communicator.provisioning.server.config import ServerConfig
from communicator.provisioning.server.services import call_logs

from .conftest import Api, LiveServer, PgCluster, admin_token, make_config

URL = "/api/v1/call-logs"
NOW = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)


def call_log(**kw: Any) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "direction": "outbound",
        "remote": "+48221234567",
        "started_at": NOW.isoformat(),
        "ended_at": (NOW + dt.timedelta(seconds=63)).isoformat(),
        "duration_s": 60.0,
        "end_reason": "local hangup",
        "sip_code": 200,
        "quality": {"mos": 4.2, "jitter_ms": 3.5},
        **kw,
    }


def nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


def signed_in(api: Api, login: str = "anna") -> dict[str, str]:
    agent = api.agent(login)
    api.account(agent["id"])
    return api.bearer(api.sign_in(login)["token"])


def stored_ids(api: Api) -> set[str]:
    report = api.ok(api.c.get("/api/v1/admin/reports/calls?limit=1000", headers=api.h))
    return {r["id"] for r in report["rows"]}


# Each of these once made the whole batch a 500 (or was stored where it could not be read back).
BAD_LOGS: dict[str, Callable[[], dict[str, Any]]] = {
    "start before year 1 in UTC": lambda: call_log(started_at="0001-01-01T00:00:00+14:00"),
    "end after year 9999 in UTC": lambda: call_log(ended_at="9999-12-31T23:59:59-14:00"),
    "answer at the calendar's end": lambda: call_log(
        answered_at="9999-12-31T23:59:59.999999-01:00"
    ),
    "NUL in the number": lambda: call_log(remote="+48\x00221"),
    "NUL in the end reason": lambda: call_log(end_reason="bye\x00"),
    "NUL in a quality value": lambda: call_log(quality={"codec": "PCMA\x00"}),
    "NUL in a quality name": lambda: call_log(quality={"m\x00os": 4.0}),
    "NaN quality": lambda: call_log(quality={"mos": float("nan")}),
    "infinite quality": lambda: call_log(quality={"mos": float("inf")}),
    "NaN duration": lambda: call_log(duration_s=float("nan")),
    "20-digit quality number": lambda: call_log(quality={"packets": 12345678901234567890}),
    "20-digit SIP code": lambda: call_log(sip_code=12345678901234567890),
    "20-digit line": lambda: call_log(line=-12345678901234567890),
    "20-digit id": lambda: call_log(id=12345678901234567890),
    "nested quality": lambda: call_log(quality={"mos": nested(900)}),
    "nested number": lambda: call_log(remote=nested(900)),
    "nested id": lambda: call_log(id=nested(900)),
    "lone surrogate": lambda: call_log(remote="\ud800"),
}


def post(api: Api, h: dict[str, str], logs: list[Any]) -> httpx.Response:
    # allow_nan: the body carries NaN/Infinity the way Python's json (and some clients) write it
    body = json.dumps({"logs": logs}, allow_nan=True)
    return api.c.post(URL, content=body, headers={**h, "Content-Type": "application/json"})


@pytest.mark.parametrize("case", list(BAD_LOGS))
def test_one_bad_log_is_refused_and_the_good_ones_are_stored(api: Api, case: str) -> None:
    h = signed_in(api)
    good_before, bad, good_after = call_log(), BAD_LOGS[case](), call_log()
    resp = post(api, h, [good_before, bad, good_after])
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["accepted"] == [good_before["id"], good_after["id"]]
    assert [r["index"] for r in body["rejected"]] == [1]
    statuses = [(r["index"], r["status"]) for r in body["results"]]
    assert statuses == [(0, "accepted"), (1, "refused"), (2, "accepted")]
    refusal = body["results"][1]
    assert refusal["code"] == "invalid" and len(refusal["reason"]) > 5
    assert "\x00" not in refusal["reason"]
    assert stored_ids(api) == {good_before["id"], good_after["id"]}
    # The report reads back what was stored.
    report = api.ok(api.c.get("/api/v1/admin/reports/calls", headers=api.h))
    assert report["total"] == 2


def test_refusal_reasons_name_the_field(api: Api) -> None:
    h = signed_in(api)
    logs = [
        call_log(started_at="0001-01-01T00:00:00+14:00"),
        call_log(remote="a\x00b"),
        call_log(quality={"mos": float("nan")}),
    ]
    body = post(api, h, logs).json()
    reasons = [r["reason"] for r in body["results"]]
    assert "started_at" in reasons[0] and "calendar" in reasons[0]
    assert "remote" in reasons[1] and "NUL" in reasons[1]
    assert "quality" in reasons[2] and "number" in reasons[2]


def test_every_log_gets_a_result_in_order(api: Api) -> None:
    h = signed_in(api)
    first = call_log()
    api.ok(api.c.post(URL, json={"logs": [first]}, headers=h))
    logs: list[Any] = [first, call_log(), 7, {"id": "not-a-uuid"}, first]
    body = post(api, h, logs).json()
    assert [(r["index"], r["status"]) for r in body["results"]] == [
        (0, "duplicate"),
        (1, "accepted"),
        (2, "refused"),
        (3, "refused"),
        (4, "duplicate"),
    ]
    assert [r["id"] for r in body["results"]][:2] == [first["id"], logs[1]["id"]]
    assert body["results"][3]["id"] == "not-a-uuid"
    # The old fields stay as they were for older clients.
    assert body["accepted"] == [first["id"], logs[1]["id"], first["id"]]
    assert body["duplicates"] == [first["id"], first["id"]]


def test_another_agents_id_is_refused_as_a_conflict(api: Api) -> None:
    ha, hb = signed_in(api, "ann"), signed_in(api, "ben")
    log = call_log()
    api.ok(api.c.post(URL, json={"logs": [log]}, headers=ha))
    body = api.ok(api.c.post(URL, json={"logs": [log, call_log()]}, headers=hb))
    assert body["results"][0]["status"] == "refused"
    assert body["results"][0]["code"] == "conflict"
    assert "another agent" in body["results"][0]["reason"]
    assert body["results"][1]["status"] == "accepted"


@pytest.mark.parametrize("depth", [900, 5_000, 100_000])
def test_deeply_nested_bodies_get_a_4xx(api: Api, depth: int) -> None:
    h = signed_in(api)
    for body in (
        b"[" * depth + b"]" * depth,
        b'{"logs": [' + b'{"a":' * depth + b"1" + b"}" * depth + b"]}",
    ):
        resp = api.c.post(URL, content=body, headers={**h, "Content-Type": "application/json"})
        assert 200 <= resp.status_code < 500, resp.text
        if resp.status_code == 200:  # a shallow-enough body: the one log is refused, not stored
            assert [r["status"] for r in resp.json()["results"]] == ["refused"]


json_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
)
json_value = st.recursive(
    json_leaf,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=10,
)
iso_dates = st.datetimes(
    min_value=dt.datetime(1, 1, 1),
    max_value=dt.datetime(9999, 12, 31, 23, 59, 59),
    timezones=st.sampled_from(
        [dt.UTC, dt.timezone(dt.timedelta(hours=14)), dt.timezone(dt.timedelta(hours=-14))]
    ),
).map(lambda d: d.isoformat())
FIELDS = [
    "id",
    "line",
    "direction",
    "remote",
    "started_at",
    "answered_at",
    "ended_at",
    "duration_s",
    "end_reason",
    "sip_code",
    "quality",
]


_HEADERS: dict[int, dict[str, str]] = {}


def prop_agent(api: Api) -> dict[str, str]:
    """One agent for all the examples of a property test (signing in per example would meet
    the sign-in limit)."""
    if id(api) not in _HEADERS:
        _HEADERS[id(api)] = signed_in(api, "prop")
    return _HEADERS[id(api)]


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    mangled=st.lists(
        st.tuples(st.sampled_from(FIELDS), st.one_of(json_value, iso_dates)),
        min_size=1,
        max_size=3,
    )
)
def test_any_log_is_accepted_or_refused_alone(api: Api, mangled: list[tuple[str, Any]]) -> None:
    h = prop_agent(api)
    bad = call_log()
    for field, value in mangled:
        bad[field] = value
    good = call_log()
    resp = post(api, h, [bad, good])
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert [r["index"] for r in body["results"]] == [0, 1]
    assert body["results"][1]["status"] == "accepted"
    assert body["results"][0]["status"] in ("accepted", "refused")
    ids = stored_ids(api)
    assert good["id"] in ids
    if body["results"][0]["status"] == "accepted":
        assert str(uuid.UUID(str(bad["id"]))) in ids


# -- two agents, the same new id, at the same moment (PostgreSQL) --------------------------------


def test_concurrent_posts_of_one_new_id_accept_it_once(
    pg_cluster: PgCluster, tmp_path: Path
) -> None:
    """Agent A posts to one server process and agent B to another, both on one PostgreSQL
    database, the same new id at the same moment: exactly one is told "accepted"."""
    db = pg_cluster.new_database()
    servers = [LiveServer(db, tmp_path, name=f"server{i}").start() for i in range(2)]
    try:
        clients = [httpx.Client(base_url=s.url, timeout=30) for s in servers]
        api = Api(clients[0], admin_token(make_config(db, tmp_path)))
        headers = [signed_in(api, "ann"), signed_in(api, "ben")]
        won: dict[str, str] = {}
        for _ in range(20):
            shared = call_log()
            barrier = threading.Barrier(2)
            verdicts: dict[int, dict[str, Any]] = {}

            def send(
                i: int,
                shared: Any = shared,
                barrier: threading.Barrier = barrier,
                verdicts: dict[int, dict[str, Any]] = verdicts,
            ) -> None:
                # Other logs in the batch make the inserts take long enough to overlap.
                batch = [call_log() for _ in range(30)] + [shared]
                barrier.wait()
                try:
                    resp = clients[i].post(URL, json={"logs": batch}, headers=headers[i])
                except httpx.HTTPError as exc:  # shown by the assertion below
                    verdicts[i] = {"status": repr(exc)}
                    return
                verdicts[i] = (
                    resp.json()
                    if resp.status_code == 200
                    else {"status": f"{resp.status_code} {resp.text[:300]}"}
                )

            threads = [threading.Thread(target=send, args=(i,)) for i in range(2)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            winners = [i for i in range(2) if shared["id"] in verdicts[i].get("accepted", ())]
            assert len(winners) == 1, verdicts
            (winner,) = winners
            loser = verdicts[1 - winner]["results"][-1]
            assert loser["status"] == "refused" and loser["code"] == "conflict", loser
            won[shared["id"]] = ("ann", "ben")[winner]
        report = api.ok(
            clients[0].get(
                f"{URL.replace('call-logs', 'admin/reports/calls')}?limit=5000", headers=api.h
            )
        )
        owner_of = {r["id"]: r["agent_login"] for r in report["rows"]}
        assert {i: owner_of[i] for i in won} == won
    finally:
        for c in clients:
            c.close()
        for s in servers:
            s.stop()


def test_raw_surrogate_bytes_are_refused_not_a_500(api: Api) -> None:
    """A lone surrogate written as raw (CESU-style) UTF-8 bytes instead of an escape."""
    h = signed_in(api)
    good, bad = call_log(), call_log(remote="sip:\ud800@x")
    body = json.dumps({"logs": [good, bad]}, ensure_ascii=False).encode("utf-8", "surrogatepass")
    resp = api.c.post(URL, content=body, headers={**h, "Content-Type": "application/json"})
    assert resp.status_code == 200, resp.text
    assert [r["status"] for r in resp.json()["results"]] == ["accepted", "refused"]
    assert "surrogate" in resp.json()["results"][1]["reason"]


def test_a_value_the_database_refuses_refuses_only_its_log(config: ServerConfig) -> None:
    """The database still has the last word: when it refuses a row (here: the posting agent
    vanished, a foreign-key violation), the logs are refused one by one, never a 500."""
    engine = db_mod.make_engine(config.db_url, pool_size=1)
    try:
        with db_mod.make_sessionmaker(engine)() as s:
            result = call_logs.ingest_call_logs(s, 987654, [call_log(), call_log(), 5])
            s.commit()
        assert [(r.status, r.code) for r in result.results] == [
            ("refused", "unstorable"),
            ("refused", "unstorable"),
            ("refused", "invalid"),
        ]
        reason = result.results[0].reason or ""
        assert "database cannot store" in reason and "+48" not in reason
    finally:
        engine.dispose()
