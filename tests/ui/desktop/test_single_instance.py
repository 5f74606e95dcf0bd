"""One Communicator per user: a second launch of the real command hands its call link to the
running one and exits 0 without a window; a socket left by a crashed instance is removed, a live
instance's never is."""

from __future__ import annotations

import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from communicator.ui.desktop.single_instance import (
    InstanceServer,
    another_instance_may_run,
    instance_name,
)

ROOT = Path(__file__).resolve().parents[3]


def test_the_name_is_per_user_and_per_settings_directory(tmp_path: Path) -> None:
    first = instance_name(tmp_path / "a", "linux")
    assert first == instance_name(tmp_path / "a", "linux")
    assert first != instance_name(tmp_path / "b", "linux")
    assert os.path.isabs(first) and first.endswith(".sock")
    windows = instance_name(tmp_path / "a", "win32")
    assert not os.path.isabs(windows) and windows.startswith("communicator-")
    assert another_instance_may_run(windows, "win32")  # a pipe cannot be seen without trying


@pytest.fixture
def name(tmp_path: Path) -> str:
    return str(tmp_path / "instance.sock")


def test_a_stale_socket_is_removed_and_a_live_one_is_kept(qapp: Any, name: str) -> None:
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(name)  # what a crashed instance leaves: the file, nobody listening
    stale.close()
    assert another_instance_may_run(name)
    server = InstanceServer(name)
    try:
        assert server.listen()
        assert server.listening
        second = InstanceServer(name)
        assert not second.listen()  # the first is alive: its socket stays
        assert server.listening and os.path.exists(name)
    finally:
        server.close()
    assert not another_instance_may_run(name)  # closing removes the socket


def environment(tmp_path: Path) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    return environ | {
        "QT_QPA_PLATFORM": "offscreen",
        "COMMUNICATOR_CONFIG_DIR": str(tmp_path / "config"),
        "COMMUNICATOR_DATA_DIR": str(tmp_path / "data"),
    }


class Running:
    """The first instance, its output read line by line as it comes."""

    def __init__(self, tmp_path: Path) -> None:
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "communicator.app",
                "--instance-events",
                "--no-audio",
                "--server",
                "https://pbx.example.com",
                "--login",
                "anna",
            ],
            cwd=ROOT,
            env=environment(tmp_path),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))

    def wait_line(self, start: str, timeout: float = 30) -> str:
        while True:
            try:
                line = self.lines.get(timeout=timeout)
            except queue.Empty:
                raise AssertionError(f"no line starting {start!r}; saw {self.seen}") from None
            self.seen.append(line)
            if line.startswith(start):
                return line


@pytest.fixture
def running(tmp_path: Path) -> Iterator[Running]:
    first = Running(tmp_path)
    try:
        yield first
    finally:
        if first.process.poll() is None:
            first.process.kill()
            first.process.wait(timeout=30)


@pytest.mark.slow
def test_a_second_launch_hands_its_link_to_the_running_one_and_exits(
    tmp_path: Path, running: Running
) -> None:
    running.wait_line("instance listening")
    link = "sip:2002@pbx.example.com"
    second = subprocess.run(
        [sys.executable, "-m", "communicator.app", "--instance-events", link],
        cwd=ROOT,
        env=environment(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert second.returncode == 0, second.stdout + second.stderr
    assert second.stdout.splitlines() == ["handed over"]  # no window of its own
    received = running.wait_line("received ")
    assert json.loads(received.removeprefix("received ")) == [link]

    running.process.send_signal(signal.SIGTERM)
    assert running.process.wait(timeout=30) == 0
    assert not os.path.exists(instance_name(tmp_path / "config"))  # it cleaned up


@pytest.mark.slow
def test_a_launch_after_a_crash_starts_despite_the_stale_socket(tmp_path: Path) -> None:
    crashed = Running(tmp_path)
    try:
        crashed.wait_line("instance listening")
    finally:
        crashed.process.kill()  # SIGKILL: nothing is cleaned up
        crashed.process.wait(timeout=30)
    assert os.path.exists(instance_name(tmp_path / "config"))
    again = Running(tmp_path)
    try:
        again.wait_line("instance listening")
    finally:
        again.process.send_signal(signal.SIGTERM)
        assert again.process.wait(timeout=30) == 0
