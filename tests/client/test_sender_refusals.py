"""The sender against a real server: a log the server refuses is set aside with the server's
reason (never retried for ever, never lost) while the rest of its batch is delivered; a failure
of the server itself still retries."""

from __future__ import annotations

import uuid
from pathlib import Path

from communicator.provisioning.client import ProvisioningClient
from communicator.provisioning.outbox import Outbox
from communicator.provisioning.sender import Delivery, OutboxSender
from tests.client.site import Site
from tests.client.test_outbox_faults import call_log


def signed_in(site: Site, login: str = "anna") -> tuple[ProvisioningClient, str, str]:
    agent = site.api.agent(login, password="correct horse")
    site.api.account(agent["id"], sip_server="127.0.0.1")
    client = ProvisioningClient(site.url)
    session = client.sign_in(login, "correct horse")
    return client, session.owner, session.token


def stored(site: Site) -> set[str]:
    report = site.api.ok(site.http.get("/api/v1/admin/reports/calls", headers=site.api.h))
    return {r["id"] for r in report["rows"]}


def test_a_refused_log_is_set_aside_and_its_batch_delivered(site: Site, tmp_path: Path) -> None:
    client, owner, token = signed_in(site)
    refused: list[int] = []
    ids = [str(uuid.uuid4()) for _ in range(4)]
    with Outbox(tmp_path / "outbox.sqlite3") as outbox:
        outbox.add(owner, ids[0], call_log(0))
        outbox.add(owner, ids[1], {**call_log(1), "started_at": "0001-01-01T00:00:00+14:00"})
        outbox.add(owner, ids[2], {**call_log(2), "remote": "sip:\x00@x"})
        outbox.add(owner, ids[3], call_log(3))
        sender = OutboxSender(
            outbox.path, lambda o: Delivery(client, token), on_refused=refused.append
        )
        sender.deliver_once(outbox)
        assert stored(site) == {ids[0], ids[3]}
        assert outbox.pending_count() == 0 and outbox.refused_count() == 2
        assert refused == [2]
        reasons = {e.id: e.refused_reason or "" for e in outbox.refused_logs(owner)}
        assert "started_at" in reasons[ids[1]] and "calendar" in reasons[ids[1]]
        assert "remote" in reasons[ids[2]] and "NUL" in reasons[ids[2]]
        # Not retried: nothing is due, now or later.
        assert outbox.next_due_at() is None and outbox.retry_now(owner) == 0
    client.close()


def test_another_agents_id_is_set_aside_as_a_conflict(site: Site, tmp_path: Path) -> None:
    client, owner, token = signed_in(site, "anna")
    _, _, ben_token = signed_in(site, "ben")
    taken = str(uuid.uuid4())
    client.post_call_logs(ben_token, [{**call_log(0), "id": taken}])
    with Outbox(tmp_path / "outbox.sqlite3") as outbox:
        outbox.add(owner, taken, call_log(0))
        OutboxSender(outbox.path, lambda o: Delivery(client, token)).deliver_once(outbox)
        (kept,) = outbox.refused_logs()
        assert kept.id == taken
        assert kept.refused_reason is not None and kept.refused_reason.startswith("conflict")
    client.close()


def test_a_log_that_cannot_be_written_as_json_is_set_aside_unsent(
    site: Site, tmp_path: Path
) -> None:
    client, owner, token = signed_in(site)
    good = str(uuid.uuid4())
    with Outbox(tmp_path / "outbox.sqlite3") as outbox:
        outbox.add(owner, str(uuid.uuid4()), {**call_log(0), "duration_s": float("nan")})
        outbox.add(owner, str(uuid.uuid4()), {**call_log(1), "remote": "sip:\ud800@x"})
        outbox.add(owner, good, call_log(2))
        OutboxSender(outbox.path, lambda o: Delivery(client, token)).deliver_once(outbox)
        assert stored(site) == {good}
        assert outbox.pending_count() == 0
        assert [(e.refused_reason or "")[:9] for e in outbox.refused_logs()] == ["not sent:"] * 2
    client.close()


def test_a_batch_refused_whole_is_retried_log_by_log(site: Site, tmp_path: Path) -> None:
    """A log too large for the server's body limit makes the batch a 413: the others are
    delivered one by one and only the large one is set aside."""
    client, owner, token = signed_in(site)
    ids = [str(uuid.uuid4()) for _ in range(3)]
    with Outbox(tmp_path / "outbox.sqlite3") as outbox:
        outbox.add(owner, ids[0], call_log(0))
        outbox.add(owner, ids[1], {**call_log(1), "end_reason": "x" * (9 << 20)})
        outbox.add(owner, ids[2], call_log(2))
        OutboxSender(outbox.path, lambda o: Delivery(client, token)).deliver_once(outbox)
        assert stored(site) == {ids[0], ids[2]}
        (kept,) = outbox.refused_logs()
        assert kept.id == ids[1] and (kept.refused_reason or "").startswith("HTTP 413")
    client.close()


def test_server_failures_are_retried_not_refused(site: Site, tmp_path: Path) -> None:
    client, owner, token = signed_in(site)
    log_id = str(uuid.uuid4())
    with Outbox(tmp_path / "outbox.sqlite3") as outbox:
        outbox.add(owner, log_id, call_log(0))
        sender = OutboxSender(outbox.path, lambda o: Delivery(client, token))
        site.stop()
        sender.deliver_once(outbox)
        assert outbox.refused_count() == 0 and outbox.pending_count() == 1
        site.start()
        outbox.retry_now(owner)
        sender.deliver_once(outbox)
        assert outbox.entries() == []
    assert stored(site) == {log_id}
    client.close()
