"""``make demo``: the product end to end on loopback.

It starts a provisioning server (SQLite in a temporary directory) with a group, an agent and SIP
accounts created through its admin API, a real Kamailio reading the server's database live, and
the far ends (`communicator.demo.far_ends`): a customer who answers, an echo extension and a
demo caller that rings the agent every minute.

* With a display, it opens the agent desktop signed in as the demo agent; closing the window
  or Ctrl-C stops everything (`communicator.demo.desktop`).
* Without one (or with ``--headless``), it runs the narrated scenario
  (`communicator.demo.scenario`) and exits 0 only if every step worked.

It uses the test rig (``tests/rig``) for Kamailio and the far ends, so it runs from a checkout.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def has_display() -> bool:
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--talk", type=float, default=3.0, help="seconds the first call lasts")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    parser.add_argument(
        "--headless", action="store_true", help="the narrated scenario even with a display"
    )
    parser.add_argument(
        "--ring-every", type=float, default=60.0, help="seconds between the demo caller's rings"
    )
    args = parser.parse_args(argv)
    if not (ROOT / "tests" / "rig").is_dir():
        print("make demo runs from a source checkout (it uses tests/rig).", file=sys.stderr)
        return 2
    sys.path.insert(0, str(ROOT))
    desktop = has_display() and not args.headless
    if not desktop:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from communicator.demo.scenario import STOP, Interrupted, say

    STOP.install()
    work = Path(tempfile.mkdtemp(prefix="communicator-demo-"))
    try:
        if desktop:
            from communicator.demo.desktop import run_desktop

            return int(run_desktop(work, ring_every=args.ring_every))
        from communicator.demo.scenario import run

        run(work, args.talk)
        return 0
    except Interrupted:
        say("interrupted: everything stopped in order")
        return 130
    finally:
        if args.keep:
            say(f"work directory kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
