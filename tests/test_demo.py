"""``make demo`` without a display: the narrated scenario succeeds, and whether it ends by itself
or by Ctrl-C, nothing it started is left running."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MARK = "COMMUNICATOR_DEMO_TEST_MARK"

pytestmark = [pytest.mark.rig, pytest.mark.slow, pytest.mark.timeout(120)]


def processes_marked(mark: str) -> list[str]:
    """Command lines of live processes that inherited ``MARK=mark`` (the demo's children)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            environ = (proc / "environ").read_bytes()
            cmdline = (proc / "cmdline").read_bytes()
        except OSError:
            continue
        if f"{MARK}={mark}".encode() in environ.split(b"\0"):
            found.append(cmdline.replace(b"\0", b" ").decode(errors="replace"))
    return found


def start_demo(mark: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env[MARK] = mark
    return subprocess.Popen(
        [sys.executable, "-m", "communicator.demo", "--talk", "0.5"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_the_headless_demo_succeeds_and_leaves_nothing_running() -> None:
    mark = uuid.uuid4().hex
    demo = start_demo(mark)
    output, _ = demo.communicate(timeout=100)
    assert demo.returncode == 0, output
    for step in ("call connected", "sends back what the agent says", "demo caller greets"):
        assert step in output
    assert "done: everything stopped in order" in output
    assert processes_marked(mark) == []


def test_ctrl_c_stops_the_demo_and_everything_it_started() -> None:
    mark = uuid.uuid4().hex
    demo = start_demo(mark)
    assert demo.stdout is not None
    seen = []
    for line in demo.stdout:
        seen.append(line)
        if "call connected" in line:
            break
    else:
        pytest.fail("".join(seen))
    assert processes_marked(mark)  # server, Kamailio, far ends
    demo.send_signal(signal.SIGINT)
    rest, _ = demo.communicate(timeout=60)
    assert demo.returncode == 130, "".join(seen) + rest
    assert "interrupted: everything stopped in order" in rest
    assert processes_marked(mark) == []
