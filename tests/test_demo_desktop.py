"""``make demo`` with a display (Xvfb): the desktop opens signed in, the demo caller rings it,
and closing its window from outside (as a window manager does when the agent clicks the close
button) or Ctrl-C stops the demo and everything it started."""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import shutil
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.test_demo import MARK, processes_marked

ROOT = Path(__file__).resolve().parent.parent

pytestmark = [pytest.mark.rig, pytest.mark.slow, pytest.mark.timeout(120)]


class _ClientMessage(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("serial", ctypes.c_ulong),
        ("send_event", ctypes.c_int),
        ("display", ctypes.c_void_p),
        ("window", ctypes.c_ulong),
        ("message_type", ctypes.c_ulong),
        ("format", ctypes.c_int),
        ("data", ctypes.c_long * 5),
    ]


class _XEvent(ctypes.Union):
    _fields_ = [("xclient", _ClientMessage), ("pad", ctypes.c_long * 24)]


CLIENT_MESSAGE = 33


class X11:
    """Just enough Xlib (through ctypes) to find a top-level window by title and ask it to
    close (WM_DELETE_WINDOW, the message a window manager sends)."""

    def __init__(self, display: str) -> None:
        name = ctypes.util.find_library("X11")
        if name is None:
            pytest.skip("libX11 is not installed")
        self.x = ctypes.cdll.LoadLibrary(name)
        self.x.XOpenDisplay.restype = ctypes.c_void_p
        self.x.XOpenDisplay.argtypes = [ctypes.c_char_p]
        self.x.XDefaultRootWindow.restype = ctypes.c_ulong
        self.x.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
        self.x.XInternAtom.restype = ctypes.c_ulong
        self.x.XInternAtom.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
        self.x.XQueryTree.argtypes = [
            ctypes.c_void_p,
            ctypes.c_ulong,
            ctypes.POINTER(ctypes.c_ulong),
            ctypes.POINTER(ctypes.c_ulong),
            ctypes.POINTER(ctypes.POINTER(ctypes.c_ulong)),
            ctypes.POINTER(ctypes.c_uint),
        ]
        self.x.XFetchName.argtypes = [
            ctypes.c_void_p,
            ctypes.c_ulong,
            ctypes.POINTER(ctypes.c_char_p),
        ]
        self.x.XSendEvent.argtypes = [
            ctypes.c_void_p,
            ctypes.c_ulong,
            ctypes.c_int,
            ctypes.c_long,
            ctypes.POINTER(_XEvent),
        ]
        self.x.XFlush.argtypes = [ctypes.c_void_p]
        self.x.XCloseDisplay.argtypes = [ctypes.c_void_p]
        self.dpy = self.x.XOpenDisplay(display.encode())
        assert self.dpy, f"cannot open display {display}"

    def windows(self) -> dict[str, int]:
        found: dict[str, int] = {}
        root, parent = ctypes.c_ulong(), ctypes.c_ulong()
        children = ctypes.POINTER(ctypes.c_ulong)()
        count = ctypes.c_uint()
        top = self.x.XDefaultRootWindow(self.dpy)
        self.x.XQueryTree(
            self.dpy,
            top,
            ctypes.byref(root),
            ctypes.byref(parent),
            ctypes.byref(children),
            ctypes.byref(count),
        )
        for i in range(count.value):
            name = ctypes.c_char_p()
            if self.x.XFetchName(self.dpy, children[i], ctypes.byref(name)) and name.value:
                found[name.value.decode(errors="replace")] = int(children[i])
        return found

    def ask_to_close(self, window: int) -> None:
        event = _XEvent()
        event.xclient.type = CLIENT_MESSAGE
        event.xclient.window = window
        event.xclient.message_type = self.x.XInternAtom(self.dpy, b"WM_PROTOCOLS", 0)
        event.xclient.format = 32
        event.xclient.data[0] = self.x.XInternAtom(self.dpy, b"WM_DELETE_WINDOW", 0)
        self.x.XSendEvent(self.dpy, window, 0, 0, ctypes.byref(event))
        self.x.XFlush(self.dpy)

    def close(self) -> None:
        self.x.XCloseDisplay(self.dpy)


@dataclass
class DesktopDemo:
    demo: subprocess.Popen[str]
    seen: list[str]
    display: str
    mark: str


@contextlib.contextmanager
def desktop_demo(*args: str) -> Iterator[DesktopDemo]:
    """``python -m communicator.demo ARGS`` on its own Xvfb, once it says the desktop is open
    (signed in as the demo agent)."""
    if shutil.which("Xvfb") is None:
        pytest.skip("Xvfb is not installed")
    display = f":{os.getpid() % 400 + 500}"
    mark = uuid.uuid4().hex
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY")}
    env |= {MARK: mark, "DISPLAY": display}
    xvfb = subprocess.Popen(
        ["Xvfb", display, "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        demo = subprocess.Popen(
            [sys.executable, "-m", "communicator.demo", *args],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            assert demo.stdout is not None
            seen = []
            for line in demo.stdout:
                seen.append(line)
                if "desktop open" in line:
                    break
            else:
                pytest.fail("".join(seen))
            yield DesktopDemo(demo, seen, display, mark)
        finally:
            if demo.poll() is None:  # a failed test: do not leave it running
                demo.terminate()
                demo.communicate(timeout=60)
    finally:
        xvfb.terminate()
        xvfb.wait(10)


def test_closing_the_desktop_window_stops_the_demo_and_everything_it_started() -> None:
    with desktop_demo() as run:
        x = X11(run.display)
        try:
            windows = x.windows()
            assert "Communicator" in windows, windows
            x.ask_to_close(windows["Communicator"])
        finally:
            x.close()
        rest, _ = run.demo.communicate(timeout=60)
        assert run.demo.returncode == 0, "".join(run.seen) + rest
        assert "window closed (main window): quitting" in rest
        assert "interrupted" not in rest
        assert "done: everything stopped in order" in rest
        assert processes_marked(run.mark) == []


def test_the_demo_caller_rings_the_desktop_and_ctrl_c_stops_everything_it_started() -> None:
    with desktop_demo("--ring-every", "2") as run:
        assert run.demo.stdout is not None
        for line in run.demo.stdout:  # the demo caller's first ring reaches the agent
            run.seen.append(line)
            if "ringing:" in line:
                break
        assert "ringing: Demo Caller on line 1 (F5 answers)" in run.seen[-1], run.seen
        assert processes_marked(run.mark)  # server, Kamailio, far ends
        run.demo.send_signal(signal.SIGINT)  # while it rings
        rest, _ = run.demo.communicate(timeout=60)
        assert run.demo.returncode == 0, "".join(run.seen) + rest
        assert "interrupted: quitting" in rest
        assert "window closed" not in rest, "the windows closing as it stops are not the cause"
        assert "done: everything stopped in order" in rest
        assert processes_marked(run.mark) == []
