"""How soon the phone is registered again after the network changes or the registrar returns.

Run from the repository root, as root (it adds and removes a loopback address):
``python bench/network_bench.py [--runs 10] [--outage-runs 5]``.

* Kamailio (tests/rig) runs here; the engine runs in this process as the product does
  (QCoreApplication + SipEngine + Pump, `HeadlessClient`) with `NetworkRecovery` watching
  rtnetlink and the system bus.
* **address change**: 127.0.0.53/32 is added to ``lo``, then removed, alternately (``ip addr``;
  each run is one change). The clock starts when ``ip`` has exited (the kernel has made the
  change and sent its netlink message; the Qt loop has not run yet) and stops when the
  engine's listener sees REGISTERED after a new REGISTER attempt. ``detect`` is the time to
  `NetworkRecovery.recovering` (netlink delivery + the 100 ms settle that merges a burst into
  one re-registration). The registration refreshes every 1800 s: no refresh can fall in.
* **registrar outage**: Kamailio is stopped; once the engine shows the lost connection
  (refresh every 2 s, expiry 4 s: found within ~6 s) Kamailio is started again on the same
  ports (it forgot the binding). The clock starts when Kamailio answers OPTIONS on every
  transport and stops at REGISTERED: the registration machine's retry back-off (1, 2, 4, 4 s)
  with no network change to hurry it. The issue's target for both: within 5 s.

Prints each run, then one JSON line: medians and ranges in ms, runs, load.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

USER = "1001"
ADDRESS = "127.0.0.53/32"
TIMEOUT_S = 30.0


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def spread(values: list[float]) -> dict[str, float]:
    return {
        "median": round(statistics.median(values), 1),
        "min": round(min(values), 1),
        "max": round(max(values), 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=10, help="address changes (>= 4)")
    parser.add_argument("--outage-runs", type=int, default=5, help="registrar outages")
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

    from PySide6.QtCore import QEventLoop, QTimer

    from communicator.core.registration import RegistrationState
    from communicator.sip.endpoint import EndpointOptions
    from communicator.ui.headless import HeadlessClient
    from communicator.ui.network_watch import NetworkRecovery
    from tests.rig.kamailio import KamailioServer, random_accounts
    from tests.sip.helpers import make_profile

    load_before = loadavg()
    changes: list[dict[str, float]] = []
    outages: list[float] = []
    with KamailioServer(random_accounts([USER]), debug=1) as server:
        client = HeadlessClient(EndpointOptions(bound_address="127.0.0.1"))
        engine = client.engine
        recovery = NetworkRecovery(engine)
        recovery.start()
        assert recovery.watching_network, "netlink is not available here"
        marks: dict[str, float] = {}
        recovery.recovering.connect(lambda _why: marks.setdefault("detect", time.perf_counter()))

        def on_event(_event: Any) -> None:
            if engine.registration.state is RegistrationState.REGISTERED:
                marks.setdefault("registered", time.perf_counter())

        unsubscribe = engine.subscribe(on_event)

        def wait(condition: Callable[[], bool]) -> None:
            loop = QEventLoop()
            timer = QTimer()
            timer.timeout.connect(lambda: loop.quit() if condition() else None)
            timer.start(1)
            deadline = QTimer()
            deadline.setSingleShot(True)
            deadline.timeout.connect(loop.quit)
            deadline.start(int(TIMEOUT_S * 1000))
            if not condition():
                loop.exec()
            timer.stop()
            if not condition():
                raise TimeoutError("the phone did not get there in time")

        def registered() -> bool:
            return engine.registration.state is RegistrationState.REGISTERED

        def registered_since(attempts: int) -> Callable[[], bool]:
            return lambda: engine.register_attempts > attempts and "registered" in marks

        def ip(action: str) -> float:
            subprocess.run(["ip", "addr", action, ADDRESS, "dev", "lo"], check=True)
            return time.perf_counter()

        try:
            slow = {"registration": {"expiry_seconds": 3600, "refresh_seconds": 1800}}
            engine.apply_profile(make_profile(server, USER, sections=slow))
            engine.sign_in()
            wait(registered)
            for run in range(max(4, args.runs)):
                attempts = engine.register_attempts
                marks.clear()
                started = ip("add" if run % 2 == 0 else "del")
                wait(registered_since(attempts))
                change = {
                    "detect_ms": (marks["detect"] - started) * 1000,
                    "registered_ms": (marks["registered"] - started) * 1000,
                }
                changes.append(change)
                print(
                    f"address change {run + 1}: detected {change['detect_ms']:.1f} ms, "
                    f"registered {change['registered_ms']:.1f} ms",
                    flush=True,
                )
            if len(changes) % 2:
                ip("del")

            fast = {"registration": {"expiry_seconds": 4, "refresh_seconds": 2}}
            engine.apply_profile(make_profile(server, USER, sections=fast))
            wait(registered)
            for run in range(args.outage_runs):
                server.stop()
                wait(lambda: engine.registration.lost_connection)
                server.start()
                back = time.perf_counter()
                marks.clear()
                wait(lambda: "registered" in marks and not engine.registration.lost_connection)
                outages.append((marks["registered"] - back) * 1000)
                print(f"registrar outage {run + 1}: registered {outages[-1]:.0f} ms", flush=True)
        finally:
            unsubscribe()
            recovery.close()
            engine.sign_out()
            client.shutdown()

    summary: dict[str, Any] = {
        "address_change_registered_ms": spread([c["registered_ms"] for c in changes]),
        "address_change_detect_ms": spread([c["detect_ms"] for c in changes]),
        "address_change_runs": len(changes),
        "outage_registered_after_return_ms": spread(outages) if outages else None,
        "outage_runs": len(outages),
        "load_before": load_before,
        "load_after": loadavg(),
    }
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
