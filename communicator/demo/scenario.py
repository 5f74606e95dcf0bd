"""The narrated demo without a display: every step is checked, and a step that fails stops the
demo with an error (so ``make demo`` exits 0 only if everything worked).

The agent signs in, registers with the pushed VoIP profile, calls the customer while an admin
changes the profile (pushed live, applied after the call), calls the echo extension and hears
the greeting and then the echo, answers the demo caller, and the call logs reach the server.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType

from communicator.demo.contact_center import AGENT_LOGIN, AGENT_PASSWORD, contact_center
from communicator.demo.far_ends import CUSTOMER, ECHO, far_ends


class Interrupted(Exception):  # noqa: N818 (not an error: the agent asked to stop)
    """Ctrl-C or SIGTERM: the demo stops and shuts everything down in order."""


def say(text: str) -> None:
    print(f"[demo] {text}", flush=True)


class StopFlag:
    """Set by SIGINT/SIGTERM; every wait checks it (a Qt slot cannot raise into the caller)."""

    def __init__(self) -> None:
        self.requested = False

    def install(self) -> None:
        def handler(signum: int, frame: FrameType | None) -> None:
            self.requested = True

        signal.signal(signal.SIGINT, handler)
        signal.signal(signal.SIGTERM, handler)


STOP = StopFlag()


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
        lambda: (
            loop.quit() if STOP.requested or condition() or time.monotonic() > deadline else None
        )
    )
    timer.start()
    loop.exec()
    timer.stop()
    if STOP.requested:
        raise Interrupted
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

    with contact_center(work) as center:
        admin = center.admin
        say(f"provisioning server running at {center.url}")
        say(f"Kamailio on udp/{center.kamailio.udp_port}, reading the server database live")
        with far_ends(center.kamailio, work) as far:
            say(
                f"far ends registered: customer {CUSTOMER.user}, echo extension {ECHO.user}, "
                "demo caller"
            )
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

            def connected() -> bool:
                return any(c is not None and c.answered_at for c in engine.state.lines)

            def idle() -> bool:
                return all(c is None for c in engine.state.lines)

            try:
                signed_in = workstation.authenticate(center.url, AGENT_LOGIN, AGENT_PASSWORD)
                say(
                    f"signed in as {signed_in.session.display_name}; profile revision "
                    f"{signed_in.profile.revision}"
                )
                workstation.start(signed_in)
                wait_until(lambda: engine.registration.current is not None, 10, "REGISTER")

                call = engine.place_call(CUSTOMER.user)
                say(f"calling the customer ({CUSTOMER.user}) ...")
                wait_until(connected, 10, "the answer")
                say("call connected")
                admin(
                    "PATCH",
                    f"/accounts/{center.agent_account_id}",
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

                call = engine.place_call(ECHO.user)
                say(f"calling the echo extension ({ECHO.user}) ...")
                wait_until(lambda: bool(far.echo.events("greeting")), 10, "the echo's greeting")
                say("the echo extension answered and plays its greeting")
                wait_until(lambda: bool(far.echo.events("echoing")), 10, "the echo")
                say("after the greeting it sends back what the agent says")
                engine.hangup(call)
                wait_until(idle, 10, "the end of the echo call")
                say("hung up")

                far.ring_agent_every(center.agent_uri, first_in_s=0)
                say("the demo caller rings the agent (it rings every minute) ...")
                wait_until(
                    lambda: any(c is not None and not c.answered_at for c in engine.state.lines),
                    15,
                    "the demo caller's ring",
                )
                ringing = next(c for c in engine.state.lines if c is not None)
                say(f"incoming call from {ringing.remote.label}; answering")
                engine.answer(ringing.call_id)
                wait_until(lambda: bool(far.caller.events("echoing")), 10, "the caller's echo")
                say("answered: the demo caller greets and echoes too")
                engine.hangup(ringing.call_id)
                wait_until(idle, 10, "the end of the demo caller's call")
                say("hung up")

                def delivered() -> bool:
                    report = admin("GET", "/reports/calls", params={"agent": AGENT_LOGIN})
                    return bool(report["total"] >= 3)

                wait_until(delivered, 15, "the call logs at the server")
                for row in admin("GET", "/reports/calls")["rows"]:
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
