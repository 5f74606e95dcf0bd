"""A call log is never lost, now that it is written off the GUI thread: hanging up and quitting
at once (no turn of the event loop in between) leaves the log in the outbox, found by the next
start on this workstation; and the writer commits before it reports a log stored."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from communicator.provisioning.credentials import CredentialStore
from communicator.provisioning.log_writer import CallLogWriter
from communicator.provisioning.outbox import Outbox
from communicator.ui.dispatch import MainThreadDispatcher
from communicator.workstation import Workstation
from tests.client.site import Site
from tests.credentials.memory_backend import MemoryKeyring
from tests.sip.test_workstation import AGENT_PW, Deployment


def test_logs_handed_to_the_writer_are_in_the_file_when_close_returns(tmp_path: Path) -> None:
    path = tmp_path / "outbox.sqlite3"
    stored: list[str] = []
    writer = CallLogWriter(path, on_stored=stored.append)
    ids = [str(uuid.uuid4()) for _ in range(50)]
    for n, entry_id in enumerate(ids):
        writer.submit("anna@http://server", entry_id, {"n": n})
    writer.close()  # quitting: no flush asked for, close waits for the writer itself
    with Outbox(path) as outbox:
        entries = outbox.entries()
    assert [e.id for e in entries] == ids
    assert [e.payload for e in entries] == [{"n": n} for n in range(50)]
    assert stored == ids, "each log reported stored once, in order, after its commit"

    # A record that arrives after the writer closed (a recording finishing during shutdown)
    # is written in the caller's step instead of being dropped.
    late = str(uuid.uuid4())
    writer.submit("anna@http://server", late, {"n": 50})
    with Outbox(path) as outbox:
        assert outbox.entries()[-1].id == late
    assert stored[-1] == late


def test_flush_returns_once_everything_submitted_is_durable(tmp_path: Path) -> None:
    path = tmp_path / "outbox.sqlite3"
    writer = CallLogWriter(path)
    try:
        with Outbox(path) as reader:
            for n in range(20):
                writer.submit("anna@http://server", str(uuid.uuid4()), {"n": n})
                assert writer.flush(timeout=30)
                assert writer.waiting() == 0
                assert reader.pending_count() == n + 1
    finally:
        writer.close()


def make_workstation(engine_factory: Any, data_dir: Path) -> Workstation:
    return Workstation(
        engine=engine_factory(),
        data_dir=data_dir,
        post_to_main=MainThreadDispatcher().post,
        credentials=CredentialStore(MemoryKeyring()),
    )


@pytest.mark.rig
def test_hang_up_and_quit_at_once_the_log_is_there_after_restart(
    site: Site,
    kamailio_factory: Any,
    engine_factory: Any,
    peer_factory: Any,
    tmp_path: Path,
    qtbot: Any,
) -> None:
    deployment = Deployment(site, kamailio_factory, tmp_path)
    data_dir = tmp_path / "client"
    workstation = make_workstation(engine_factory, data_dir)
    try:
        engine = workstation.engine
        workstation.start(workstation.authenticate(site.url, "anna", AGENT_PW))
        qtbot.waitUntil(lambda: engine.registration.current is not None, timeout=5000)
        far = peer_factory("far", account="2002", server=deployment.kamailio)
        far.command("auto_answer", enabled=True, code=200)
        site.stop()  # nothing can be delivered: the log must wait in the outbox
        call_id = engine.place_call("2002")
        qtbot.waitUntil(
            lambda: any(c is not None and c.answered_at for c in engine.state.lines),
            timeout=5000,
        )
        assert workstation.pending_logs() == 0
        # Hang up and quit in the same step, as the application's quit does (sign out, then
        # close the workstation), without the event loop running in between.
        engine.hangup(call_id)
        waiting = workstation.sign_out(deliver_for=0)
    finally:
        workstation.close()
    assert waiting == 1, "sign-out counted the log that the hang-up had just handed over"

    restarted = make_workstation(engine_factory, data_dir)
    try:
        assert restarted.pending_logs() == 1
        [entry] = restarted.outbox.entries()
        assert entry.owner.startswith("anna@")
        assert "2002" in entry.payload["remote"]
        assert entry.payload["answered_at"] is not None
    finally:
        restarted.close()
