"""``make demo``: the most complete end-to-end path, on loopback, narrated.

1. starts the provisioning server (SQLite in a temporary directory) and creates, through its
   admin API, a group, an agent and two SIP accounts (extensions from the pool range);
2. exports the accounts for Kamailio (``communicator-server``'s PBX export) and starts a real
   Kamailio with that subscriber table;
3. starts a far-end softphone (a pjsua2 process) that answers and plays a tone;
4. runs the headless Communicator client: the agent signs in to the server, receives the VoIP
   profile, registers, calls the far end, while an admin changes the profile (the change is
   pushed live and applied after the call), hangs up, and the call log reaches the server;
5. prints the server's call report, signs out and shuts everything down in order.

It uses the test rig (``tests/rig``) for Kamailio and the far end, so it runs from a checkout.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]


def say(text: str) -> None:
    print(f"[demo] {text}", flush=True)


@contextlib.contextmanager
def provisioning_server(work: Path) -> Iterator[tuple[str, str]]:
    """A real ``communicator-server serve`` process; yields (url, admin token)."""
    from tests.rig.ports import free_port

    port = free_port()
    data = work / "server"
    cli = [sys.executable, "-m", "communicator.provisioning.server.cli"]
    common = ["--data-dir", str(data), "--db", str(data / "server.sqlite3")]
    created = subprocess.run(
        [*cli, "admin", "create", "--name", "demo", *common],
        capture_output=True,
        text=True,
        check=True,
    )
    token = created.stdout.strip().split()[-1]
    log = (work / "server.log").open("wb")
    proc = subprocess.Popen(
        [
            *cli,
            "serve",
            "--port",
            str(port),
            "--heartbeat",
            "1",
            *common,
            "--recordings-dir",
            str(work / "recordings"),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"server did not start; see {work / 'server.log'}")
            time.sleep(0.1)  # readiness poll of another process
        yield url, token
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Run the Qt loop (and so the SIP pump) until ``condition`` holds, checking every 10 ms."""
    from PySide6.QtCore import QEventLoop, QTimer

    if condition():
        return
    deadline = time.monotonic() + timeout
    loop = QEventLoop()
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(
        lambda: loop.quit() if condition() or time.monotonic() > deadline else None
    )
    timer.start()
    loop.exec()
    timer.stop()
    if not condition():
        raise TimeoutError(f"timed out waiting for {what}")


def run(work: Path, talk_seconds: float) -> None:
    from communicator.provisioning.credentials import CredentialStore
    from communicator.sip.endpoint import EndpointOptions
    from communicator.sip.events import EngineEvent, NoticePosted, RegistrationChanged
    from communicator.ui.dispatch import MainThreadDispatcher
    from communicator.ui.headless import HeadlessClient, describe_event
    from communicator.workstation import Workstation, describe_workstation_event
    from tests.credentials.memory_backend import MemoryKeyring
    from tests.rig.kamailio import KamailioServer
    from tests.rig.peer_client import PeerProcess

    with provisioning_server(work) as (url, admin):
        say(f"provisioning server running at {url}")
        http = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {admin}"})

        def admin_call(method: str, path: str, **kw: Any) -> Any:
            response = http.request(method, f"/api/v1/admin{path}", **kw)
            response.raise_for_status()
            return response.json() if response.content else None

        group = admin_call("POST", "/groups", json={"name": "Support", "extension": 250})
        agent = admin_call(
            "POST",
            "/agents",
            json={
                "login": "anna",
                "password": "demo-password",
                "display_name": "Anna Agent",
                "group_id": group["id"],
            },
        )
        sip = {"sip_server": "127.0.0.1", "sip_domain": "sip.test.invalid", "codecs": ["PCMU"]}
        mine = admin_call(
            "POST",
            "/accounts",
            json={
                "agent_id": agent["id"],
                "sip_username": "anna",
                "sip_password": "anna-sip-secret",
                "max_lines": 2,
                "min_call_log_s": 0,
                **sip,
            },
        )
        admin_call(
            "POST",
            "/accounts",
            json={"sip_username": "customer", "sip_password": "customer-sip-secret", **sip},
        )
        say(f"agent 'anna' (group Support) has extension {mine['extension']}")

        subscriber = work / "subscriber"
        subscriber.write_text(http.get("/api/v1/admin/exports/kamailio").text)
        with KamailioServer(subscriber_file=subscriber, run_dir=work / "kamailio") as kamailio:
            admin_call("PATCH", f"/accounts/{mine['id']}", json={"sip_port": kamailio.udp_port})
            kamailio.start()
            say(f"Kamailio registrar on udp/{kamailio.udp_port}, loaded from the server export")

            with PeerProcess("customer", log_dir=work / "peers") as far:
                far.register_on(kamailio, "customer", "udp")
                far.command("auto_answer", enabled=True, code=200)
                say("far end 'customer' registered and answers calls")

                client = HeadlessClient(
                    EndpointOptions(bound_address="127.0.0.1"), recordings_dir=work / "recordings"
                )
                dispatcher = MainThreadDispatcher()
                workstation = Workstation(
                    engine=client.engine,
                    data_dir=work / "client",
                    post_to_main=dispatcher.post,
                    credentials=CredentialStore(MemoryKeyring()),  # the demo leaves no secret
                )
                workstation.subscribe(lambda event: say(describe_workstation_event(event)))
                engine = client.engine

                def show(event: EngineEvent) -> None:
                    if isinstance(event, RegistrationChanged | NoticePosted):
                        say(describe_event(event))

                engine.subscribe(show)
                try:
                    signed_in = workstation.authenticate(url, "anna", "demo-password")
                    say(
                        f"signed in as {signed_in.session.display_name}; profile revision "
                        f"{signed_in.profile.revision}"
                    )
                    workstation.start(signed_in)
                    wait_until(lambda: engine.registration.current is not None, 10, "REGISTER")

                    call = engine.place_call("customer")
                    say("calling 'customer' ...")
                    wait_until(
                        lambda: any(c is not None and c.answered_at for c in engine.state.lines),
                        10,
                        "the answer",
                    )
                    say("call connected")
                    admin_call(
                        "PATCH",
                        f"/accounts/{mine['id']}",
                        json={"register_expiry_s": 120, "register_refresh_s": 60},
                    )
                    say("admin changed anna's registration expiry to 120 s")
                    wait_until(lambda: engine.state.profile_pending, 5, "the pushed profile")
                    end = time.monotonic() + talk_seconds
                    wait_until(lambda: time.monotonic() > end, talk_seconds + 1, "talk time")
                    engine.hangup(call)
                    say("hung up")
                    wait_until(
                        lambda: (
                            engine.registration.current is not None
                            and engine.registration.current.expiry == 120
                        ),
                        10,
                        "re-registration with the new profile",
                    )

                    def delivered() -> bool:
                        report = admin_call("GET", "/reports/calls", params={"agent": "anna"})
                        return bool(report["total"] >= 1)

                    wait_until(delivered, 15, "the call log at the server")
                    for row in admin_call("GET", "/reports/calls")["rows"]:
                        say(
                            f"server call report: {row['direction']} {row['remote']} "
                            f"{row['duration_s']:.1f} s, ended: {row['end_reason']}"
                        )
                    workstation.sign_out()
                    say("signed out")
                finally:
                    workstation.close()
                    client.shutdown()
    say("done: everything stopped in order")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--talk", type=float, default=3.0, help="seconds the demo call lasts")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    if not (ROOT / "tests" / "rig").is_dir():
        print("make demo runs from a source checkout (it uses tests/rig).", file=sys.stderr)
        return 2
    sys.path.insert(0, str(ROOT))
    work = Path(tempfile.mkdtemp(prefix="communicator-demo-"))
    try:
        run(work, args.talk)
    finally:
        if args.keep:
            say(f"work directory kept: {work}")
        else:
            import shutil

            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
