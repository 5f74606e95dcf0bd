"""The reports page in a real Chromium against a real server process: call logs posted by
agents through the HTTP API, filtered by agent, group, number and period, their totals, the
CSV download and a recording played by the page's <audio> element."""

from __future__ import annotations

import csv
import io
import struct
import uuid
import wave
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.server.conftest import Api

from .conftest import Console, sign_in

pytestmark = pytest.mark.slow

QUALITY = {
    "mos": 4.21,
    "level": "good",
    "rx_loss_pct": 0.5,
    "rx_jitter_ms": 12.0,
    "tx_loss_pct": 0.0,
    "tx_jitter_ms": 8.0,
}


def _wav(seconds: float = 1.0, rate: int = 8000) -> bytes:
    """A real WAV file: a quiet square wave, 16-bit mono."""
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        frames = int(seconds * rate)
        w.writeframes(
            b"".join(struct.pack("<h", 2000 if (i // 20) % 2 else -2000) for i in range(frames))
        )
    return out.getvalue()


def _log(api: Api, token: str, **fields: Any) -> str:
    log_id = str(uuid.uuid4())
    body = {"id": log_id, **fields}
    result = api.ok(
        api.c.post("/api/v1/call-logs", json={"logs": [body]}, headers=api.bearer(token))
    )
    assert result["results"][0]["status"] == "accepted", result
    return log_id


@pytest.fixture
def calls(console: Console) -> dict[str, str]:
    """Three calls of two agents in two groups, one with quality figures and a recording."""
    api = console.api
    support, sales = api.group("Support"), api.group("Sales")
    anna = api.agent("anna", display_name="Anna Berg", group_id=support["id"])
    ben = api.agent("ben", display_name="Ben Okafor", group_id=sales["id"])
    api.account(anna["id"], extension=201)
    api.account(ben["id"], extension=202)
    anna_token, ben_token = api.sign_in("anna")["token"], api.sign_in("ben")["token"]
    first = _log(
        api,
        anna_token,
        direction="inbound",
        remote="+1 555 0101",
        started_at="2026-03-02T10:00:00Z",
        answered_at="2026-03-02T10:00:05Z",
        ended_at="2026-03-02T10:01:10Z",
        duration_s=65,
        end_reason="hangup",
        quality=QUALITY,
    )
    api.ok(
        api.c.put(
            f"/api/v1/call-logs/{first}/recording",
            content=_wav(),
            headers={**api.bearer(anna_token), "Content-Type": "audio/wav"},
        )
    )
    second = _log(
        api,
        anna_token,
        direction="outbound",
        remote="+44 20 7946 0000",
        started_at="2026-03-03T09:00:00Z",
        ended_at="2026-03-03T09:00:20Z",
        end_reason="no answer",
        sip_code=480,
    )
    third = _log(
        api,
        ben_token,
        direction="inbound",
        remote="+1 555 0199",
        started_at="2026-03-05T15:30:00Z",
        answered_at="2026-03-05T15:30:02Z",
        ended_at="2026-03-05T15:30:32Z",
        duration_s=30,
    )
    return {"first": first, "second": second, "third": third}


def _total(page: Page, label: str) -> str:
    return (
        page.locator(".summary div")
        .filter(has=page.get_by_text(label, exact=True))
        .locator("dd")
        .inner_text()
    )


def _filter(page: Page, **values: str) -> None:
    for label, value in values.items():
        field = page.get_by_label(label, exact=True)
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
    page.get_by_role("button", name="Filter").click()


def test_reports_filter_total_and_download_as_csv(
    page: Page, console: Console, calls: dict[str, str]
) -> None:
    sign_in(page)
    page.get_by_role("link", name="Reports").click()
    expect(page.get_by_role("heading", name="Reports")).to_be_visible()
    rows = page.locator("table.reports tbody tr")
    expect(rows).to_have_count(3)
    assert _total(page, "Calls") == "3"
    assert _total(page, "Answered") == "2"
    assert _total(page, "Not answered") == "1"
    assert _total(page, "Talk time") == "1:35"
    assert _total(page, "Recordings") == "1"
    first = rows.nth(0)
    expect(first.locator("td[data-label='Quality']")).to_contain_text("MOS 4.2 (good)")
    expect(first.locator("td[data-label='Quality']")).to_contain_text(
        "received: loss 0.5 %, jitter 12 ms"
    )
    expect(rows.nth(1).locator("td[data-label='Result']")).to_contain_text("no answer (480)")

    _filter(page, Agent="anna")
    expect(rows).to_have_count(2)
    assert _total(page, "Outbound") == "1"
    _filter(page, Agent="", Group="Sales")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Ben Okafor")
    _filter(page, Group="", Number="555 01")
    expect(rows).to_have_count(2)
    _filter(page, Number="", **{"From (date)": "2026-03-03", "To (date)": "2026-03-04"})
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("+44 20 7946 0000")

    # The download holds what the filter shows, through the service's CSV.
    _filter(page, Agent="anna", **{"From (date)": "", "To (date)": ""})
    expect(rows).to_have_count(2)
    with page.expect_download() as info:
        page.get_by_role("link", name="Download report (CSV)").click()
    download = info.value
    assert download.suggested_filename == "calls.csv"
    with open(download.path(), encoding="utf-8") as f:
        table = list(csv.DictReader(f))
    assert [r["id"] for r in table] == [calls["first"], calls["second"]]
    assert {r["agent_login"] for r in table} == {"anna"}
    assert table[0]["mos"] == "4.21"
    assert table[0]["recording_url"].endswith(f"/api/v1/admin/call-logs/{calls['first']}/recording")
    # A cell starting with + is kept from spreadsheets' formulas (csvsafe): quoted with '.
    assert table[1]["remote"] == "'+44 20 7946 0000"
    # The console reads the download's rows its own way: the file is the JSON API's CSV.
    api = console.api
    same = api.c.get("/api/v1/admin/reports/calls?agent=anna&format=csv", headers=api.h)
    assert same.status_code == 200
    with open(download.path(), "rb") as f:
        assert f.read() == same.content

    # An agent that does not exist: said beside the field.
    _filter(page, Agent="nobody")
    expect(page.locator("#error-agent")).to_have_text("No such agent.")
    expect(page.get_by_label("Agent", exact=True)).to_have_attribute("aria-invalid", "true")


def test_a_recording_plays_in_the_page(page: Page, console: Console, calls: dict[str, str]) -> None:
    sign_in(page)
    page.goto("/admin/reports?agent=anna")
    audio = page.locator("table.reports audio")
    expect(audio).to_have_count(1)
    # The element loads the recording from the console's route (CSP media-src 'self').
    state = audio.evaluate(
        """a => new Promise((resolve) => {
            const done = () => resolve(
                {ready: a.readyState, duration: a.duration, error: a.error && a.error.code});
            if (a.readyState >= 1) done();
            a.addEventListener("loadedmetadata", done);
            a.addEventListener("error", done);
            a.load();
        })"""
    )
    assert state["error"] is None
    assert state["ready"] >= 1
    assert 0.9 < state["duration"] < 1.1
    # Range requests are answered (the browser seeks with them).
    part = page.request.get(
        f"{console.url}/admin/reports/recordings/{calls['first']}", headers={"Range": "bytes=0-99"}
    )
    assert part.status == 206
    assert len(part.body()) == 100
    assert part.body()[:4] == b"RIFF"
    # Without the console's session there is no recording.
    with httpx.Client(base_url=console.url) as other:
        resp = other.get(f"/admin/reports/recordings/{calls['first']}")
    assert resp.status_code == 303
