"""A headless SIP client: QCoreApplication + SipEngine + Pump, no widgets.

``python -m communicator.ui.headless --profile profile.json [--call 1002]`` registers with the
profile's settings, prints one status line per change, optionally places a call, and shuts down
in order on SIGINT/SIGTERM (hang up, unregister, libDestroy). The profile document must carry
the SIP password (``to_json(include_secrets=True)``) or give it with ``--password-env VAR``.

`HeadlessClient` is the same thing as a class, used by tests, the benchmark and ``make demo``.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from types import FrameType

from PySide6.QtCore import QCoreApplication

from communicator.core.errors import InvalidOperationError
from communicator.provisioning.schema import VoipProfile, parse_profile
from communicator.sip.endpoint import EndpointOptions, SipEndpoint
from communicator.sip.engine import SipEngine
from communicator.sip.events import (
    CallEnded,
    DtmfHeard,
    EngineEvent,
    ForwardingChanged,
    LinesChanged,
    NoticePosted,
    QualityMeasured,
    RegistrationChanged,
)
from communicator.ui.network_watch import NetworkRecovery
from communicator.ui.pump import Pump, PumpPolicy


def describe_event(event: EngineEvent) -> str:
    """One status line for an engine event."""
    if isinstance(event, RegistrationChanged):
        status = event.status
        if event.static_ip:
            return "registration: static IP account (no REGISTER)"
        parts = [f"registration: {status.state.value}"]
        if status.current is not None:
            cur = status.current
            parts.append(
                f"contact {cur.contact_host}:{cur.contact_port} via {cur.transport}, "
                f"expires in {cur.expiry:g} s, server {cur.server_host}"
            )
        if status.message:
            parts.append(f"{status.message} ({status.detail})")
        elif status.last_failure is not None:
            parts.append(f"last failure: {status.last_failure.reason.value}")
        return "; ".join(parts)
    if isinstance(event, LinesChanged):
        shown = [
            f"{n}: {c.state.label} {c.remote.label}" + (" (muted)" if c.muted else "")
            if c is not None
            else f"{n}: free"
            for n, c in enumerate(event.lines, start=1)
        ]
        return "lines: " + ", ".join(shown)
    if isinstance(event, NoticePosted):
        return f"notice: {event.text}"
    if isinstance(event, CallEnded):
        r = event.record
        return (
            f"call ended: {r.direction.value} {r.remote.label}, {r.end_reason.value}, "
            f"talk {r.talk_time:.1f} s"
            + (f", recording {r.recording_path}" if r.recording_path else "")
        )
    if isinstance(event, ForwardingChanged):
        return f"forwarding: {event.description or 'off'}"
    if isinstance(event, DtmfHeard):
        return f"dtmf: {event.digit} on line {event.line}"
    if isinstance(event, QualityMeasured):
        return f"quality of {event.call_id}: " + event.quality.summary().replace("\n", "; ")
    return repr(event)


class HeadlessClient:
    """Endpoint + engine + pump on the current thread's Qt event loop."""

    def __init__(
        self,
        options: EndpointOptions | None = None,
        *,
        recordings_dir: Path | None = None,
        tls_ca_file: str | None = None,
        policy: PumpPolicy | None = None,
        watch_network: bool = False,
    ) -> None:
        self.app = QCoreApplication.instance() or QCoreApplication(sys.argv[:1])
        self.endpoint = SipEndpoint(options)
        try:
            self.engine = SipEngine(
                self.endpoint, recordings_dir=recordings_dir, tls_ca_file=tls_ca_file
            )
            self.pump = Pump(self.endpoint.poll, policy, sockets=self.endpoint)
            self.endpoint.wakeup = self.pump.kick
            self.pump.start()
            # Network changes and resume from sleep re-register at once (the applications
            # ask for it; tests and benchmarks leave it off: other processes change addresses).
            self.network = NetworkRecovery(self.engine) if watch_network else None
            if self.network is not None:
                self.network.start()
        except BaseException:
            self.endpoint.shutdown()
            raise

    def run(self) -> int:
        return int(self.app.exec())

    def quit(self) -> None:
        self.app.quit()

    def shutdown(self) -> None:
        """Orderly: hang up, unregister, shut the account down, libDestroy."""
        if self.network is not None:
            self.network.close()
        self.pump.stop()
        self.endpoint.wakeup = lambda: None
        self.endpoint.shutdown()


def _install_signal_handlers(stop: Callable[[], None]) -> None:
    def handler(signum: int, frame: FrameType | None) -> None:
        stop()

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)


def load_profile(path: Path, password_env: str | None = None) -> VoipProfile:
    profile = parse_profile(path.read_bytes())
    if password_env:
        password = os.environ.get(password_env, "")
        if password:
            profile = profile.with_password(password)
    return profile


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Headless Communicator SIP client")
    parser.add_argument("--profile", type=Path, required=True, help="VoIP profile JSON")
    parser.add_argument("--password-env", help="environment variable holding the SIP password")
    parser.add_argument("--call", help="place a call to this number/URI once registered")
    parser.add_argument("--bind", default="", help="local address for SIP and RTP")
    parser.add_argument("--port", type=int, default=0, help="local SIP port (0: any)")
    parser.add_argument("--ca-file", help="CA list for verifying the TLS server")
    parser.add_argument("--recordings", type=Path, help="directory for call recordings")
    parser.add_argument("--trace", action="store_true", help="log SIP messages")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.trace else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    profile = load_profile(args.profile, args.password_env)
    client = HeadlessClient(
        EndpointOptions(
            bound_address=args.bind, sip_port=args.port, sip_trace=True if args.trace else None
        ),
        recordings_dir=args.recordings,
        tls_ca_file=args.ca_file,
        watch_network=True,
    )
    try:
        _install_signal_handlers(client.quit)
        engine = client.engine
        pending_call = [args.call] if args.call else []

        def on_event(event: EngineEvent) -> None:
            print(describe_event(event), flush=True)
            ready = client.engine.state.static_ip or engine.registration.state.is_registered
            if pending_call and ready:
                dial = pending_call.pop()
                try:
                    engine.place_call(dial)
                except InvalidOperationError as error:
                    print(f"notice: {error}", flush=True)

        engine.subscribe(on_event)
        engine.apply_profile(profile)
        engine.sign_in()
        return client.run()
    finally:
        client.shutdown()
        print("shut down", flush=True)


if __name__ == "__main__":
    sys.exit(main())
