"""The extension pool, live board and reports screenshots (part of ``screenshots.py``):
docs/screenshots/admin-pool.png, admin-board.png and admin-reports.png.

``seed`` adds, through the HTTP API as clients do, two pool agents (one holding a lease, one
signed out again), agents' state reports and a few call logs with quality figures and a
recording, on top of the people ``screenshots.py`` creates.
"""

from __future__ import annotations

import io
import math
import struct
import uuid
import wave
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

from tests.server.conftest import Api

STATES: dict[str, dict[str, Any]] = {
    "anna": {"state": "ready", "contact": "192.0.2.21:5062", "transport": "udp"},
    "ben": {"state": "not_ready", "reason": "lunch", "contact": "192.0.2.22:5060"},
    "chloe": {"state": "on_call", "contact": "[2001:db8::23]:5061", "transport": "tls"},
    "dev": {"state": "wrap_up", "contact": "198.51.100.24:5060", "transport": "tcp"},
    "fay": {"state": "ready", "registered": False},
}


def _wav(seconds: float = 2.0, rate: int = 8000) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(
            b"".join(
                struct.pack("<h", int(3000 * math.sin(2 * math.pi * 440 * i / rate)))
                for i in range(int(seconds * rate))
            )
        )
    return out.getvalue()


def _status(api: Api, token: str, want: dict[str, Any]) -> None:
    registered = want.get("registered", True)
    body = {
        "state": want["state"],
        "reason": want.get("reason"),
        "registration": {
            "registered": registered,
            "contact": want.get("contact") if registered else None,
            "transport": want.get("transport", "udp") if registered else None,
            "expires": 30 if registered else None,
            "server": "sip.example.com:5060" if registered else None,
        },
    }
    api.ok(api.c.put("/api/v1/agent/status", json=body, headers=api.bearer(token)))


def _log(api: Api, token: str, **fields: Any) -> str:
    log_id = str(uuid.uuid4())
    result = api.ok(
        api.c.post(
            "/api/v1/call-logs",
            json={"logs": [{"id": log_id, **fields}]},
            headers=api.bearer(token),
        )
    )
    assert result["results"][0]["status"] == "accepted", result
    return log_id


def _quality(mos: float, level: str, loss: float, jitter: float) -> dict[str, Any]:
    return {
        "mos": mos,
        "level": level,
        "rx_loss_pct": loss,
        "rx_jitter_ms": jitter,
        "tx_loss_pct": loss / 2,
        "tx_jitter_ms": jitter / 2,
        "codec": "opus",
    }


def seed(api: Api, tokens: dict[str, str]) -> None:
    """``tokens``: the session tokens of the agents ``screenshots.py`` signed in."""
    api.agent("fay", display_name="Fay Lindqvist")
    api.agent("gus", display_name="Gus Moreau")
    for login in ("ben", "chloe", "dev", "fay"):
        tokens.setdefault(login, api.sign_in(login)["token"])
    gus = api.sign_in("gus")["token"]  # borrows the other pool number, then gives it back
    api.ok(api.c.delete("/api/v1/sessions/current", headers=api.bearer(gus)), 204)
    for login, want in STATES.items():
        _status(api, tokens[login], want)
    anna, ben, chloe = tokens["anna"], tokens["ben"], tokens["chloe"]
    day = "2026-03-02T"
    recorded = _log(
        api,
        anna,
        direction="inbound",
        remote="+1 555 0142",
        started_at=f"{day}09:02:11Z",
        answered_at=f"{day}09:02:15Z",
        ended_at=f"{day}09:06:40Z",
        duration_s=265,
        end_reason="hangup",
        quality=_quality(4.3, "good", 0.2, 9),
    )
    api.ok(
        api.c.put(
            f"/api/v1/call-logs/{recorded}/recording",
            content=_wav(),
            headers={**api.bearer(anna), "Content-Type": "audio/wav"},
        )
    )
    _log(api, anna, direction="outbound", remote="+44 20 7946 0321",
         started_at=f"{day}09:15:02Z", ended_at=f"{day}09:15:30Z", end_reason="no answer",
         sip_code=480)  # fmt: skip
    _log(api, ben, direction="inbound", remote="+1 555 0177", started_at=f"{day}10:01:00Z",
         answered_at=f"{day}10:01:03Z", ended_at=f"{day}10:03:10Z", duration_s=127,
         end_reason="hangup", quality=_quality(3.4, "fair", 2.8, 41))  # fmt: skip
    _log(api, chloe, direction="outbound", remote="+33 1 70 00 02 19",
         started_at=f"{day}11:20:00Z", answered_at=f"{day}11:20:09Z",
         ended_at=f"{day}11:31:12Z", duration_s=663, end_reason="hangup",
         quality=_quality(4.1, "good", 0.4, 14))  # fmt: skip
    _log(api, ben, direction="inbound", remote="+1 555 0190", started_at=f"{day}12:45:00Z",
         ended_at=f"{day}12:45:25Z", end_reason="caller hung up")  # fmt: skip


def shoot(page: Page, out: Path) -> None:
    """The page is signed in to the console."""
    page.set_viewport_size({"width": 1280, "height": 760})
    page.goto("/admin/pool")
    page.get_by_role("heading", name="Extension pool").wait_for()
    page.screenshot(path=out / "admin-pool.png", full_page=True)
    page.goto("/admin/board")
    page.get_by_text("Live: the board updates as agents change state.").wait_for()
    page.screenshot(path=out / "admin-board.png", full_page=True)
    page.goto("/admin/reports?from=2026-03-02&to=2026-03-02")
    page.locator("table.reports audio").first.evaluate(
        "a => a.readyState >= 1 || new Promise((r) => a.addEventListener('loadedmetadata', r))"
    )
    page.screenshot(path=out / "admin-reports.png", full_page=True)
