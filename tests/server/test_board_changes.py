"""What feeds the console's live board and reports, on SQLite and PostgreSQL: status reports
and sign-ins announce a status change (a repeat report does not), and a report's totals."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from communicator.provisioning.server import db as db_mod
from communicator.provisioning.server.api import create_app
from communicator.provisioning.server.changes import Change
from communicator.provisioning.server.config import ServerConfig
from communicator.provisioning.server.services import reports

from .conftest import Api, admin_token

READY: dict[str, Any] = {
    "state": "ready",
    "reason": None,
    "registration": {"registered": True, "contact": "192.0.2.10:5062", "transport": "udp"},
}


class StatusChanges:
    """Counts the status changes the server's change bus delivers."""

    def __init__(self) -> None:
        self.count = 0
        self.seen = threading.Condition()

    def __call__(self, change: Change) -> None:
        if change.status:
            with self.seen:
                self.count += 1
                self.seen.notify_all()

    def wait_for(self, count: int) -> None:
        with self.seen:
            assert self.seen.wait_for(lambda: self.count >= count, timeout=10), self.count


@pytest.fixture
def served(config: ServerConfig) -> Iterator[tuple[Api, StatusChanges]]:
    app = create_app(config, migrate=False)
    changes = StatusChanges()
    app.state.server.bus.subscribe(changes)
    with TestClient(app) as client:
        yield Api(client, admin_token(config)), changes


def _report(api: Api, token: str, body: dict[str, Any]) -> None:
    api.ok(api.c.put("/api/v1/agent/status", json=body, headers=api.bearer(token)))


def test_sign_in_and_changed_reports_announce_a_status_change(
    served: tuple[Api, StatusChanges],
) -> None:
    api, changes = served
    agent = api.agent("anna")
    api.account(agent["id"])  # a fixed number: the sign-in announces no lease
    token = api.sign_in("anna")["token"]
    changes.wait_for(1)
    _report(api, token, READY)
    changes.wait_for(2)
    _report(api, token, READY)  # the same again: nothing new for the board
    _report(api, token, {**READY, "state": "not_ready", "reason": "lunch"})
    changes.wait_for(3)
    assert changes.count == 3


def _log(api: Api, token: str, **fields: Any) -> None:
    body = {"id": str(uuid.uuid4()), **fields}
    result = api.ok(
        api.c.post("/api/v1/call-logs", json={"logs": [body]}, headers=api.bearer(token))
    )
    assert result["results"][0]["status"] == "accepted"


def test_report_totals_count_every_matching_log(
    served: tuple[Api, StatusChanges], config: ServerConfig
) -> None:
    api, _changes = served
    api.account(api.agent("anna")["id"])
    token = api.sign_in("anna")["token"]
    start = "2026-03-02T10:00:00Z"
    _log(api, token, direction="inbound", remote="+1 555 0101", started_at=start, duration_s=65,
         answered_at=start)  # fmt: skip
    _log(api, token, direction="outbound", remote="+1 555 0102", started_at=start)
    _log(api, token, direction="inbound", remote="200", started_at=start, duration_s=5.5,
         answered_at=start)  # fmt: skip
    engine = db_mod.make_engine(config.db_url, pool_size=1)
    try:
        with db_mod.make_sessionmaker(engine)() as s:
            every = reports.totals(s, reports.ReportFilter())
            some = reports.totals(s, reports.ReportFilter(agent="anna", number="555"))
    finally:
        engine.dispose()
    assert every == reports.ReportTotals(
        calls=3, inbound=2, outbound=1, answered=2, duration_s=70.5, recordings=0
    )
    assert (some.calls, some.inbound, some.outbound, some.answered) == (2, 1, 1, 1)
    assert some.duration_s == 65


def test_report_pages_read_from_the_end_match_pages_read_from_the_start(
    served: tuple[Api, StatusChanges], config: ServerConfig
) -> None:
    """A page in a report's second half is read in reverse order from the end; every page,
    ties of the start time included, is the slice of the whole report in start order."""
    api, _changes = served
    api.account(api.agent("anna")["id"])
    token = api.sign_in("anna")["token"]
    for i in range(9):
        _log(api, token, direction="inbound", remote=f"+1 555 01{i:02d}",
             started_at=f"2026-03-02T10:00:0{i // 3}Z")  # fmt: skip
    engine = db_mod.make_engine(config.db_url, pool_size=1)
    try:
        with db_mod.make_sessionmaker(engine)() as s:
            f = reports.ReportFilter()
            total, whole = reports.report(s, f)
            assert total == 9
            for limit in (2, 3, 4):
                for offset in range(11):
                    count, part = reports.report(s, f, limit=limit, offset=offset)
                    assert count == 9
                    expected = [r.id for r in whole[offset : offset + limit]]
                    assert [r.id for r in part] == expected, (limit, offset)
    finally:
        engine.dispose()
