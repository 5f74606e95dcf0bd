"""Console lists at the ends of their ranges: page numbers past any page (10**20: SQLite
cannot bind the offset, PostgreSQL refuses a numeric one), zero and negative, the last day
of the calendar as a period's end, sort columns and directions that do not exist (SQLite
and PostgreSQL): the page, never a 500."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from communicator.provisioning.server.config import ServerConfig

from .console_probe import Console, html_page, open_console

HUGE = str(10**20)


@pytest.fixture
def console(config: ServerConfig) -> Iterator[Console]:
    with open_console(config) as opened:
        yield opened


@pytest.mark.parametrize(
    "query",
    [
        f"page={HUGE}",
        "page=-1",
        "page=0",
        "until=9999-12-31",
        "since=9999-12-31&until=9999-12-31",
        "since=0001-01-01&until=0001-01-01",
        f"admin=%25&object=_&page={HUGE}",
    ],
)
def test_audit_history_at_the_ends(console: Console, query: str) -> None:
    console.api.group("audited")  # one entry
    html_page(console.get(f"/admin/audit?{query}"), 200)


@pytest.mark.parametrize("where", ["accounts", "agents", "groups", "pool", "board", "reports"])
def test_lists_at_the_ends(console: Console, where: str) -> None:
    agent = console.api.agent("listed")
    console.api.account(agent_id=agent["id"])
    for query in (
        f"page={HUGE}",
        "page=-1",
        "page=" + "9" * 30,
        "sort=password&dir=sideways",
        "sort=&dir=&page=",
        "show=nothing&state=nothing&group=-1",
    ):
        # (A group the reports do not know is a filter's error, said beside it.)
        html_page(
            console.get(f"/admin/{where}?{query}"), *((200, 422) if where == "reports" else (200,))
        )


@pytest.mark.parametrize(
    "query",
    [
        "from=0001-01-01&to=9999-12-31",
        "from=9999-12-31",
        "to=0001-01-01",
        "from=2026-13-01",
        f"agent={HUGE}",
        "group=%25_",
        "number=%25_%5C",
    ],
)
def test_reports_at_the_ends(console: Console, query: str) -> None:
    html_page(console.get(f"/admin/reports?{query}"), 200, 422)
    resp = console.get(f"/admin/reports/calls.csv?{query}")
    assert resp.status_code in (200, 404, 422), (resp.status_code, resp.text[:300])
