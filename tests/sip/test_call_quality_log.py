"""The call log the client posts carries the call's quality figures, and the server's report
(JSON and CSV) shows them: provisioning server process, Kamailio, the SIP engine, a far end."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest

from communicator.core.calls import CallState
from communicator.workstation import Workstation
from tests.client.site import site
from tests.sip.helpers import peer_call_id, wait_peer
from tests.sip.test_workstation import AGENT_PW, Deployment, deployment, workstation

pytestmark = [pytest.mark.rig, pytest.mark.timeout(90)]
__all__ = ["deployment", "site", "workstation"]  # fixtures shared with test_workstation


def test_posted_call_log_carries_quality(
    deployment: Deployment, workstation: Workstation, peer_factory: Any, qtbot: Any
) -> None:
    site, api = deployment.site, deployment.site.api
    workstation.start(workstation.authenticate(site.url, "anna", AGENT_PW))
    engine = workstation.engine
    qtbot.waitUntil(lambda: engine.registration.current is not None, timeout=5000)
    far = peer_factory("far", account="2002", server=deployment.kamailio)
    far.command("auto_answer", enabled=True, code=200)

    call_id = engine.place_call("2002")
    qtbot.waitUntil(lambda: engine.call(call_id).state is CallState.CONNECTED, timeout=5000)
    far_call = peer_call_id(qtbot, far)
    wait_peer(qtbot, far, "media_state", lambda e: e["call_id"] == far_call)
    far.command("play_tone", call_id=far_call, freq=440)
    qtbot.waitUntil(
        lambda: (q := engine.call_quality(call_id)) is not None and q.rx_packets > 0,
        timeout=10000,
    )
    engine.hangup(call_id)

    def report() -> list[dict[str, Any]]:
        params = {"agent": "anna"}
        rows: list[dict[str, Any]] = api.ok(
            site.http.get("/api/v1/admin/reports/calls", params=params, headers=api.h)
        )["rows"]
        return rows

    qtbot.waitUntil(lambda: len(report()) == 1, timeout=10000)
    quality = report()[0]["quality"]
    assert quality is not None
    assert quality["codec"].startswith("PCMU")
    assert quality["rx_packets"] > 0 and quality["rx_lost"] == 0
    assert 1.0 <= quality["mos"] <= 4.5
    assert quality["level"] == "good"

    csv_text = site.http.get(
        "/api/v1/admin/reports/calls", params={"format": "csv"}, headers=api.h
    ).text
    header, row = list(csv.reader(io.StringIO(csv_text)))[:2]
    assert float(row[header.index("mos")]) == quality["mos"]
    assert json.loads(row[header.index("quality")]) == quality
