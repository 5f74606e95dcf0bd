"""A group call's log counts for the group it came through (issue 18): the client posts the
group the proxy named (``group``); the report filtered by that group lists it. A log without a
group, or naming no existing group, counts for the agent's own group as before."""

from __future__ import annotations

from typing import Any

from .conftest import Api
from .test_call_log_ingest import call_log, post


def rows_of_group(api: Api, group: str) -> dict[str, dict[str, Any]]:
    report = api.ok(api.c.get(f"/api/v1/admin/reports/calls?group={group}", headers=api.h))
    return {r["id"]: r for r in report["rows"]}


def test_a_group_call_counts_for_its_group(api: Api) -> None:
    home = api.group("Home desk")
    api.group("Ventes Île-de-France")
    agent = api.agent("anna", group_id=home["id"])
    api.account(agent["id"])
    h = api.bearer(api.sign_in("anna")["token"])

    via_group = call_log(direction="inbound", group="Ventes Île-de-France")
    unknown = call_log(direction="inbound", group="No such group")
    plain = call_log()
    null_group = call_log(group=None)
    resp = post(api, h, [via_group, unknown, plain, null_group])
    assert resp.status_code == 200, resp.text
    assert len(resp.json()["accepted"]) == 4

    sales = rows_of_group(api, "Ventes Île-de-France")
    assert set(sales) == {via_group["id"]}
    assert sales[via_group["id"]]["group"] == "Ventes Île-de-France"
    assert set(rows_of_group(api, "Home desk")) == {unknown["id"], plain["id"], null_group["id"]}


def test_an_over_long_group_is_refused_alone(api: Api) -> None:
    agent = api.agent("bob")
    api.account(agent["id"])
    h = api.bearer(api.sign_in("bob")["token"])
    good, bad = call_log(), call_log(group="G" * 101)
    body = post(api, h, [good, bad]).json()
    assert body["accepted"] == [good["id"]]
    assert body["rejected"][0]["error"].startswith("group")
