"""The outbox sender against a real server: recordings travel after their log, are retried,
and are deleted locally only once the server has them."""

from __future__ import annotations

import uuid
from pathlib import Path

from communicator.provisioning.client import ProvisioningClient
from communicator.provisioning.outbox import Outbox
from communicator.provisioning.sender import Delivery, OutboxSender
from tests.client.site import Site
from tests.client.test_outbox_faults import call_log


def signed_in(site: Site) -> tuple[ProvisioningClient, str, str]:
    agent = site.api.agent("anna", password="correct horse")
    site.api.account(agent["id"], sip_server="127.0.0.1")
    client = ProvisioningClient(site.url)
    session = client.sign_in("anna", "correct horse")
    return client, session.owner, session.token


def test_recording_follows_its_log_and_is_deleted_after_confirmation(
    site: Site, tmp_path: Path
) -> None:
    client, owner, token = signed_in(site)
    wav = tmp_path / "call.wav"
    wav.write_bytes(b"RIFF" + bytes(2000))
    log_id = str(uuid.uuid4())
    with Outbox(tmp_path / "outbox.sqlite3") as outbox:
        outbox.add(owner, log_id, call_log(1), recording_path=str(wav))
        sender = OutboxSender(outbox.path, lambda o: Delivery(client, token))

        site.stop()  # the server is down: nothing is lost, nothing deleted
        sender.deliver_once(outbox)
        assert outbox.pending_count() == 1 and wav.exists()
        assert outbox.entries()[0].last_error is not None

        assert outbox.due_logs(owner) == []  # backed off

        site.start()
        outbox.retry_now(owner)  # stands in for the backoff running out
        sender.deliver_once(outbox)
        assert outbox.entries() == []
        assert not wav.exists()
    stored = site.http.get(f"/api/v1/admin/call-logs/{log_id}/recording", headers=site.api.h)
    assert stored.status_code == 200 and stored.content == b"RIFF" + bytes(2000)
    client.close()


def test_rejected_log_is_kept_not_lost(site: Site, tmp_path: Path) -> None:
    client, owner, token = signed_in(site)
    with Outbox(tmp_path / "outbox.sqlite3") as outbox:
        outbox.add(owner, str(uuid.uuid4()), {**call_log(1), "direction": "sideways"})
        outbox.add(owner, str(uuid.uuid4()), call_log(2))
        OutboxSender(outbox.path, lambda o: Delivery(client, token)).deliver_once(outbox)
        (kept,) = outbox.entries()
        assert kept.payload["direction"] == "sideways"
        assert kept.refused and "direction" in (kept.refused_reason or "")
        assert outbox.pending_count() == 0 and outbox.refused_count() == 1
    report = site.api.ok(site.http.get("/api/v1/admin/reports/calls", headers=site.api.h))
    assert report["total"] == 1
    client.close()
