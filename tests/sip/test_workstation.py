"""The whole client path against real parts: provisioning server process, Kamailio loaded from
the server's own export, the SIP engine, a far-end pjsua2 peer, and the call-log outbox."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from communicator.core.registration import RegistrationState
from communicator.provisioning.client import ErrorKind, ProvisioningError
from communicator.provisioning.credentials import CredentialStore
from communicator.ui.dispatch import MainThreadDispatcher
from communicator.workstation import OfflineStartError, Workstation
from tests.client.site import Site, site
from tests.credentials.memory_backend import MemoryKeyring
from tests.rig.kamailio import KamailioServer
from tests.sip.helpers import wait_peer

pytestmark = pytest.mark.rig
__all__ = ["site"]  # the server fixture, shared with tests/client

AGENT_PW = "correct horse"


class Deployment:
    """Server accounts for an agent and a far end, exported to a real Kamailio."""

    def __init__(self, site: Site, kamailio_factory: Any, tmp_path: Path) -> None:
        self.site = site
        api = site.api
        agent = api.agent("anna", password=AGENT_PW)
        common = {"sip_server": "127.0.0.1", "sip_domain": "sip.test.invalid"}
        self.agent_account = api.account(
            agent["id"],
            sip_username="2001",
            sip_password="agent-sip-pw",
            codecs=["PCMU"],
            keepalive_s=0,
            min_call_log_s=0,
            max_lines=2,
            **common,
        )
        self.far_account = api.account(
            None, sip_username="2002", sip_password="far-sip-pw", **common
        )
        export = site.http.get("/api/v1/admin/exports/kamailio", headers=api.h)
        assert export.status_code == 200, export.text
        subscriber = tmp_path / "subscriber"
        subscriber.write_text(export.text)
        self.kamailio: KamailioServer = kamailio_factory(subscriber_file=subscriber, start=False)
        api.ok(
            site.http.patch(
                f"/api/v1/admin/accounts/{self.agent_account['id']}",
                json={"sip_port": self.kamailio.udp_port},
                headers=api.h,
            )
        )
        self.kamailio.start()


@pytest.fixture
def deployment(site: Site, kamailio_factory: Any, tmp_path: Path) -> Deployment:
    return Deployment(site, kamailio_factory, tmp_path)


@pytest.fixture
def workstation(engine_factory: Any, tmp_path: Path, qapp: Any) -> Iterator[Workstation]:
    dispatcher = MainThreadDispatcher()
    ws = Workstation(
        engine=engine_factory(),
        data_dir=tmp_path / "client",
        post_to_main=dispatcher.post,
        credentials=CredentialStore(MemoryKeyring()),
    )
    try:
        yield ws
    finally:
        ws.sign_out()
        ws.close()


def test_profile_pushed_during_a_call_applies_after_it_and_the_log_arrives(
    deployment: Deployment, workstation: Workstation, peer_factory: Any, qtbot: Any
) -> None:
    site, api = deployment.site, deployment.site.api
    signed_in = workstation.authenticate(site.url, "anna", AGENT_PW)
    workstation.start(signed_in)
    engine = workstation.engine
    qtbot.waitUntil(lambda: engine.registration.current is not None, timeout=5000)
    assert engine.registration.current is not None
    assert engine.registration.current.expiry == signed_in.profile.registration.expiry_seconds

    far = peer_factory("far", account="2002", server=deployment.kamailio)
    far.command("auto_answer", enabled=True, code=200)
    call_id = engine.place_call("2002")
    qtbot.waitUntil(
        lambda: any(c is not None and c.answered_at for c in engine.state.lines), timeout=5000
    )

    attempts = engine.register_attempts
    api.ok(
        site.http.patch(
            f"/api/v1/admin/accounts/{deployment.agent_account['id']}",
            json={"register_expiry_s": 90, "register_refresh_s": 40},
            headers=api.h,
        )
    )
    # Pushed by the server and received within 2 s, but deferred while the call is up.
    qtbot.waitUntil(lambda: engine.state.profile_pending, timeout=2000)
    assert engine.register_attempts == attempts
    assert workstation.signed_in is not None
    assert workstation.signed_in.profile.registration.expiry_seconds == 90

    engine.hangup(call_id)
    qtbot.waitUntil(
        lambda: (
            engine.registration.current is not None and engine.registration.current.expiry == 90
        ),
        timeout=5000,
    )
    assert not engine.state.profile_pending
    wait_peer(qtbot, far, "call_state", lambda e: e["state"] == "DISCONNECTED")

    # The call's log went through the outbox to the server, as anna.
    def delivered() -> bool:
        report = api.ok(
            site.http.get("/api/v1/admin/reports/calls", params={"agent": "anna"}, headers=api.h)
        )
        return report["total"] == 1

    qtbot.waitUntil(delivered, timeout=10000)
    qtbot.waitUntil(lambda: workstation.pending_logs() == 0, timeout=5000)  # sender acks


def test_wrong_password_keeps_nothing(deployment: Deployment, workstation: Workstation) -> None:
    with pytest.raises(ProvisioningError) as info:
        workstation.authenticate(deployment.site.url, "anna", "wrong horse")
    assert info.value.kind is ErrorKind.WRONG_CREDENTIALS
    assert workstation.cache_for(deployment.site.url, "anna") is None


def test_remember_me_and_cached_profile(
    deployment: Deployment, engine_factory: Any, tmp_path: Path, qapp: Any
) -> None:
    keyring = MemoryKeyring()
    ws = Workstation(
        engine=engine_factory(),
        data_dir=tmp_path / "client",
        post_to_main=MainThreadDispatcher().post,
        credentials=CredentialStore(keyring),
    )
    url = deployment.site.url
    try:
        signed_in = ws.authenticate(url, "anna", AGENT_PW, remember=True)
        assert CredentialStore(keyring).recall(url, "anna") == AGENT_PW
        # The cache holds the settings without any secret, for a restart while offline.
        cached = ws.cache_for(url, "anna")
        assert cached is not None and cached.etag == signed_in.etag
        assert not cached.profile.has_secrets
        for path in (tmp_path / "client" / "profiles").iterdir():
            assert "agent-sip-pw" not in path.read_text()
            assert AGENT_PW not in path.read_text()
        ws.start(signed_in)
        ws.sign_out(forget_password=True)
        assert CredentialStore(keyring).recall(url, "anna") is None
    finally:
        ws.close()


def test_hot_desk_logs_of_a_are_delivered_as_a_after_b_signs_in(
    deployment: Deployment, workstation: Workstation, peer_factory: Any, qtbot: Any
) -> None:
    site, api = deployment.site, deployment.site.api
    bob = api.agent("bob", password="bob horse")
    bob_account = api.account(
        bob["id"],
        sip_username="2003",
        sip_password="bob-sip-pw",
        sip_server="127.0.0.1",
        sip_domain="sip.test.invalid",
        sip_port=deployment.kamailio.udp_port,
    )
    assert bob_account["extension"]
    engine = workstation.engine
    workstation.start(workstation.authenticate(site.url, "anna", AGENT_PW))
    qtbot.waitUntil(lambda: engine.registration.current is not None, timeout=5000)
    far = peer_factory("far", account="2002", server=deployment.kamailio)
    far.command("auto_answer", enabled=True, code=200)

    site.stop()  # the server goes away before anna's call ends: her log must wait
    call_id = engine.place_call("2002")
    qtbot.waitUntil(
        lambda: any(c is not None and c.answered_at for c in engine.state.lines), timeout=5000
    )
    engine.hangup(call_id)
    qtbot.waitUntil(lambda: workstation.pending_logs() == 1, timeout=5000)
    workstation.sign_out()  # anna leaves the desk (the server is still down)

    site.start()
    # bob signs in at the same workstation; anna's log goes out as anna, not as bob.
    workstation.start(workstation.authenticate(site.url, "bob", "bob horse"))

    def report(agent: str) -> int:
        body = api.ok(
            site.http.get("/api/v1/admin/reports/calls", params={"agent": agent}, headers=api.h)
        )
        return int(body["total"])

    qtbot.waitUntil(lambda: report("anna") == 1, timeout=15000)
    assert report("bob") == 0
    qtbot.waitUntil(lambda: workstation.pending_logs() == 0, timeout=5000)  # sender acks


def test_offline_start_only_where_the_admin_allows_it(
    deployment: Deployment, workstation: Workstation, qtbot: Any
) -> None:
    site, api = deployment.site, deployment.site.api
    engine = workstation.engine
    agent = api.ok(site.http.get("/api/v1/admin/agents", headers=api.h))[0]

    # Not allowed (the default): nothing for an offline start is kept, and it is refused.
    workstation.start(workstation.authenticate(site.url, "anna", AGENT_PW))
    workstation.sign_out()
    site.stop()
    with pytest.raises(OfflineStartError, match="does not allow"):
        workstation.start_offline(site.url, "anna", AGENT_PW)
    site.start()

    group = api.group("Night shift", allow_offline_start=True)
    api.ok(
        site.http.patch(
            f"/api/v1/admin/agents/{agent['id']}", json={"group_id": group["id"]}, headers=api.h
        )
    )
    workstation.start(workstation.authenticate(site.url, "anna", AGENT_PW))
    qtbot.waitUntil(lambda: engine.registration.current is not None, timeout=5000)
    workstation.sign_out()
    qtbot.waitUntil(lambda: engine.registration.state is RegistrationState.SIGNED_OUT, timeout=5000)

    site.stop()
    with pytest.raises(OfflineStartError, match="Wrong user name or password"):
        workstation.start_offline(site.url, "anna", "wrong horse")
    signed_in = workstation.start_offline(site.url, "anna", AGENT_PW)
    assert signed_in.offline and signed_in.profile.has_secrets
    qtbot.waitUntil(lambda: engine.registration.current is not None, timeout=5000)


def test_calls_shorter_than_the_minimum_are_not_posted(
    deployment: Deployment, workstation: Workstation, peer_factory: Any, qtbot: Any
) -> None:
    site, api = deployment.site, deployment.site.api
    api.ok(
        site.http.patch(
            f"/api/v1/admin/accounts/{deployment.agent_account['id']}",
            json={"min_call_log_s": 3600},
            headers=api.h,
        )
    )
    engine = workstation.engine
    workstation.start(workstation.authenticate(site.url, "anna", AGENT_PW))
    qtbot.waitUntil(lambda: engine.registration.current is not None, timeout=5000)
    far = peer_factory("far", account="2002", server=deployment.kamailio)
    far.command("auto_answer", enabled=True, code=200)

    call_id = engine.place_call("2002")  # answered, then hung up well before an hour
    qtbot.waitUntil(
        lambda: any(c is not None and c.answered_at for c in engine.state.lines), timeout=5000
    )
    finished: list[Any] = []
    engine.subscribe(lambda e: finished.append(e) if type(e).__name__ == "CallEnded" else None)
    engine.hangup(call_id)
    qtbot.waitUntil(lambda: len(finished) == 1, timeout=5000)
    qtbot.waitUntil(lambda: workstation.pending_logs() == 0, timeout=5000)  # sender acks

    # An unanswered call is always logged, whatever its length (core's should_log rule).
    far.command("auto_answer", enabled=False)
    unanswered = engine.place_call("2002")
    wait_peer(qtbot, far, "incoming_call")
    engine.hangup(unanswered)

    def report() -> list[dict[str, Any]]:
        body = api.ok(site.http.get("/api/v1/admin/reports/calls", headers=api.h))
        return list(body["rows"])

    qtbot.waitUntil(lambda: len(report()) == 1, timeout=10000)
    (row,) = report()
    assert row["answered_at"] is None


def test_console_client_signs_in_registers_and_stops_in_order(
    deployment: Deployment, tmp_path: Path
) -> None:
    """`communicator` as an agent runs it: a separate process with its own pjsua2 endpoint."""
    env = {
        **os.environ,
        "COMMUNICATOR_CONFIG_DIR": str(tmp_path / "config"),
        "COMMUNICATOR_DATA_DIR": str(tmp_path / "data"),
        "AGENT_PASSWORD": AGENT_PW,
        "PYTHONUNBUFFERED": "1",
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "communicator.app",
            "--console",
            "--server",
            deployment.site.url,
            "--login",
            "anna",
            "--password-env",
            "AGENT_PASSWORD",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    lines: list[str] = []
    try:
        for line in proc.stdout:
            lines.append(line)
            if line.startswith("registration: registered"):
                break
        else:
            raise AssertionError("".join(lines))
        assert any("signed in as Anna" in line for line in lines)
        proc.send_signal(signal.SIGTERM)
        rest, _ = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, "".join(lines) + rest
    assert "signing out" in rest
    settings = (tmp_path / "config" / "settings.toml").read_text()
    assert "anna" in settings and AGENT_PW not in settings


def test_back_to_back_hot_desk_sign_in_registers_at_once(
    deployment: Deployment, workstation: Workstation, qtbot: Any
) -> None:
    """B signs in the moment A signs out (the un-REGISTER may still be in flight)."""
    site, api = deployment.site, deployment.site.api
    bob = api.agent("bob", password="bob horse")
    # bob gets the other account Kamailio knows from the export (2002).
    api.ok(
        site.http.patch(
            f"/api/v1/admin/accounts/{deployment.far_account['id']}",
            json={"agent_id": bob["id"], "sip_port": deployment.kamailio.udp_port},
            headers=api.h,
        )
    )
    engine = workstation.engine
    workstation.start(workstation.authenticate(site.url, "anna", AGENT_PW))
    qtbot.waitUntil(lambda: engine.registration.current is not None, timeout=5000)
    bob_signed_in = workstation.authenticate(site.url, "bob", "bob horse")
    assert bob_signed_in.profile.sip.username == "2002"
    workstation.sign_out()
    workstation.start(bob_signed_in)
    qtbot.waitUntil(lambda: engine.registration.state is RegistrationState.REGISTERED, timeout=5000)
    assert engine.registration.current is not None
    assert engine.profile is not None and engine.profile.sip.username == "2002"


def test_recorded_call_ended_by_sign_out_is_logged_for_its_agent(
    deployment: Deployment, workstation: Workstation, peer_factory: Any, qtbot: Any
) -> None:
    """Signing out hangs up; a recorded call's record arrives only once its WAV is complete,
    after the sign-out. Its log and recording still belong to, and reach, that agent."""
    site, api = deployment.site, deployment.site.api
    api.ok(
        site.http.patch(
            f"/api/v1/admin/accounts/{deployment.agent_account['id']}",
            json={"record_calls": True},
            headers=api.h,
        )
    )
    engine = workstation.engine
    workstation.start(workstation.authenticate(site.url, "anna", AGENT_PW))
    qtbot.waitUntil(lambda: engine.registration.current is not None, timeout=5000)
    far = peer_factory("far", account="2002", server=deployment.kamailio)
    far.command("auto_answer", enabled=True, code=200)
    engine.place_call("2002")
    qtbot.waitUntil(
        lambda: any(c is not None and c.answered_at for c in engine.state.lines), timeout=5000
    )
    workstation.sign_out()  # hangs the call up

    def report() -> list[dict[str, Any]]:
        body = api.ok(
            site.http.get("/api/v1/admin/reports/calls", params={"agent": "anna"}, headers=api.h)
        )
        return list(body["rows"])

    qtbot.waitUntil(
        lambda: len(report()) == 1 and workstation.outbox.entries() == [], timeout=15000
    )
    (row,) = report()
    recording = site.http.get(f"/api/v1/admin/call-logs/{row['id']}/recording", headers=api.h)
    assert recording.status_code == 200 and recording.content[:4] == b"RIFF"
