"""Zero lost call logs: 1,000 records written while the server is stopped and started 10 times
and the sending client is killed with SIGKILL 5 times mid-send. The server must end with exactly
1,000 logs, no duplicates."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path
from typing import IO

import pytest

from communicator.provisioning.client import ProvisioningClient
from communicator.provisioning.outbox import Outbox
from tests.client.site import Site

ROOT = Path(__file__).resolve().parents[2]


def call_log(n: int) -> dict[str, object]:
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC) + dt.timedelta(minutes=n)
    return {
        "line": 1 + n % 2,
        "direction": "outbound" if n % 3 else "inbound",
        "remote": f"sip:{1000 + n}@sip.test.invalid",
        "started_at": start.isoformat(),
        "answered_at": (start + dt.timedelta(seconds=2)).isoformat(),
        "ended_at": (start + dt.timedelta(seconds=30)).isoformat(),
        "duration_s": 28.0,
        "end_reason": "local hangup",
        "sip_code": 200,
    }


class Sender:
    def __init__(self, outbox: Path, url: str, owner: str, token: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.client.sender_process", str(outbox), url, owner, token],
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        assert self.proc.stdout is not None
        self.out: IO[str] = self.proc.stdout

    def wait_pending_below(self, limit: int) -> int:
        """Read progress lines until fewer than ``limit`` logs are pending (the sender prints
        after every round, so this never waits longer than a round after it happened)."""
        while True:
            line = self.out.readline()
            assert line, f"sender exited with {self.proc.wait()}"
            pending = int(line.split()[1])
            if pending < limit:
                return pending

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.kill()


@pytest.mark.slow
@pytest.mark.timeout(600)  # 10 server restarts: ~30 s on a quiet machine, minutes under load
def test_thousand_logs_survive_outages_and_kills(site: Site, tmp_path: Path) -> None:
    agent = site.api.agent("anna", password="correct horse")
    site.api.account(agent["id"], sip_server="127.0.0.1")
    with ProvisioningClient(site.url) as client:
        session = client.sign_in("anna", "correct horse")
    outbox_path = tmp_path / "outbox.sqlite3"
    writer = Outbox(outbox_path)
    sender = Sender(outbox_path, site.url, session.owner, session.token)
    written, kills = 0, 0
    try:
        for cycle in range(10):
            for _ in range(100):
                writer.add(session.owner, str(uuid.uuid4()), call_log(written))
                written += 1
            # Mid-send: some of this cycle's logs went out, the rest are still pending.
            sender.wait_pending_below(writer.pending_count() - 7 + 1)
            if cycle % 2 == 1:
                sender.kill()
                kills += 1
                sender = Sender(outbox_path, site.url, session.owner, session.token)
            site.stop()
            site.start()
        assert (written, kills) == (1000, 5)
        sender.wait_pending_below(1)
    finally:
        sender.stop()
        writer.close()
    report = site.api.ok(
        site.http.get(
            "/api/v1/admin/reports/calls",
            params={"agent": "anna", "limit": 5000},
            headers=site.api.h,
        )
    )
    ids = [row["id"] for row in report["rows"]]
    assert report["total"] == 1000
    assert len(ids) == len(set(ids)) == 1000
    remotes = {row["remote"] for row in report["rows"]}
    assert remotes == {f"sip:{1000 + n}@sip.test.invalid" for n in range(1000)}
