"""Start-up of the packaged client against the client run from source, in the same run.

usage: python startup_times.py PACKAGED_COMMAND SOURCE_COMMAND [RUNS]

Each command runs RUNS times (default 5), interleaved, as ``COMMAND --quit-after-shown`` on
Qt's offscreen platform: the time until the sign-in window is painted ("shown" line) and until
the process has loaded the rest of the client and quit in order. The first run of each is
reported on its own (the packaged binary's first start after installation), then the median of
the others. Run by installers/linux/package-test.sh; the figures go to bench/RESULTS.md.
"""

from __future__ import annotations

import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time


def one_run(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    started = time.perf_counter()
    process = subprocess.Popen(
        [*command, "--quit-after-shown", "--server", "http://127.0.0.1:9"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
        text=True,
    )
    assert process.stdout is not None
    shown = None
    for line in process.stdout:
        if shown is None and line.startswith("shown "):
            shown = time.perf_counter() - started
    status = process.wait(timeout=120)
    ended = time.perf_counter() - started
    if status != 0 or shown is None:
        raise SystemExit(f"{shlex.join(command)} --quit-after-shown failed (status {status})")
    return shown, ended


def main() -> int:
    packaged, source = shlex.split(sys.argv[1]), shlex.split(sys.argv[2])
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    with tempfile.TemporaryDirectory() as home:
        env = {
            **os.environ,
            "QT_QPA_PLATFORM": "offscreen",
            "COMMUNICATOR_CONFIG_DIR": os.path.join(home, "config"),
            "COMMUNICATOR_DATA_DIR": os.path.join(home, "data"),
        }
        times: dict[str, list[tuple[float, float]]] = {"packaged": [], "source": []}
        for _ in range(runs):
            times["packaged"].append(one_run(packaged, env))
            times["source"].append(one_run(source, env))
    for name, results in times.items():
        first_shown, first_ready = results[0]
        rest = results[1:] or results
        print(
            f"time start {name}: first run window {first_shown:.2f} s, quit {first_ready:.2f} s; "
            f"median of {len(rest)} after: window {statistics.median(r[0] for r in rest):.2f} s, "
            f"quit {statistics.median(r[1] for r in rest):.2f} s"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
