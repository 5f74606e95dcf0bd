"""A small managed-process helper for the servers of the test rig.

A :class:`ManagedProcess` starts one program with its stdout and stderr captured to a log file,
waits until it is ready (a probe callable polled until a deadline, or a line in its output),
and stops it by PID: SIGTERM, wait with a timeout, SIGKILL, and always ``wait()``. The program
runs in its own session, so helper children it forks (Kamailio's workers) are reached through
its process group if the main process has to be killed. On Linux it also gets SIGTERM when the
thread that started it dies (``PR_SET_PDEATHSIG``), so a test process killed hard leaves no
server behind holding ports: start servers from a thread that lives as long as they should.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType

LOG_TAIL_LINES = 40
_PR_SET_PDEATHSIG = 1

# Loaded in the parent: a forked child must not dlopen() (another thread may hold its lock).
_libc = (
    ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True) if sys.platform == "linux" else None
)


def _die_with_parent() -> None:
    """preexec_fn: have Linux send SIGTERM to the child when the thread that started it dies,
    so a server never outlives a test process that was killed hard."""
    if _libc is not None:
        _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class ProcessError(RuntimeError):
    """A managed process failed to start, died, or could not be stopped."""


def tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    """The last ``lines`` lines of a text file ('' if it does not exist)."""
    try:
        text = path.read_text(errors="replace")
    except FileNotFoundError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


class ManagedProcess:
    """One server process with a log file, a readiness wait and a clean stop."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        *,
        log_dir: Path,
        ready: Callable[[], bool] | None = None,
        ready_line: str | re.Pattern[str] | None = None,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        start_timeout: float = 10.0,
        stop_timeout: float = 5.0,
        poll_interval: float = 0.02,
        die_with_parent: bool = True,
    ) -> None:
        self.name = name
        self.die_with_parent = die_with_parent
        self.argv = list(argv)
        self.log_dir = Path(log_dir)
        self.log_path = self.log_dir / f"{name}.log"
        self._ready = ready
        self._ready_line = re.compile(ready_line) if isinstance(ready_line, str) else ready_line
        self._env = dict(env) if env is not None else None
        self._cwd = cwd
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self.poll_interval = poll_interval
        self._proc: subprocess.Popen[bytes] | None = None
        self._log_offset = 0

    # -- state ---------------------------------------------------------------------------------

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def returncode(self) -> int | None:
        return self._proc.returncode if self._proc is not None else None

    def log_text(self, *, since_start: bool = True) -> str:
        """The captured output (by default only what the current run wrote)."""
        try:
            with self.log_path.open("rb") as f:
                if since_start:
                    f.seek(self._log_offset)
                return f.read().decode(errors="replace")
        except FileNotFoundError:
            return ""

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    # -- start / stop --------------------------------------------------------------------------

    def start(self) -> ManagedProcess:
        if self.running:
            raise ProcessError(f"{self.name} is already running (pid {self.pid})")
        self.log_dir.mkdir(parents=True, exist_ok=True)
        # Append: a restarted server keeps its earlier output in the same file.
        with self.log_path.open("ab") as log:
            self._log_offset = log.tell()
            header = f"--- {self.name}: {' '.join(self.argv)}\n".encode()
            log.write(header)
            self._log_offset += len(header)
            log.flush()
            try:
                self._proc = subprocess.Popen(
                    self.argv,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=self._env,
                    cwd=self._cwd,
                    start_new_session=True,
                    # Only a prctl() through the preloaded libc runs between fork and exec.
                    preexec_fn=_die_with_parent if self.die_with_parent else None,  # noqa: PLW1509
                )
            except OSError as exc:
                raise ProcessError(f"{self.name}: cannot run {self.argv[0]}: {exc}") from exc
        try:
            self.wait_ready(self.start_timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _is_ready(self) -> bool:
        if self._ready_line is not None and not self._ready_line.search(self.log_text()):
            return False
        return self._ready() if self._ready is not None else True

    def wait_ready(self, timeout: float) -> None:
        """Poll the readiness probe (and/or the ready line) until it passes or time runs out."""
        deadline = time.monotonic() + timeout
        while True:
            if not self.running:
                raise ProcessError(
                    f"{self.name} exited with status {self.returncode} before it was ready.\n"
                    f"command: {' '.join(self.argv)}\n"
                    f"--- last lines of {self.log_path}:\n{self.log_tail()}"
                )
            if self._is_ready():
                return
            if time.monotonic() >= deadline:
                raise ProcessError(
                    f"{self.name} (pid {self.pid}) was not ready within {timeout:.1f} s.\n"
                    f"command: {' '.join(self.argv)}\n"
                    f"--- last lines of {self.log_path}:\n{self.log_tail()}"
                )
            time.sleep(self.poll_interval)

    def wait_for_output(self, pattern: str | re.Pattern[str], timeout: float) -> re.Match[str]:
        """Wait until the output of the current run matches ``pattern``; return the match."""
        regex = re.compile(pattern) if isinstance(pattern, str) else pattern
        deadline = time.monotonic() + timeout
        while True:
            match = regex.search(self.log_text())
            if match is not None:
                return match
            if time.monotonic() >= deadline:
                raise ProcessError(
                    f"{self.name}: no output matching {regex.pattern!r} within {timeout:.1f} s.\n"
                    f"--- last lines of {self.log_path}:\n{self.log_tail()}"
                )
            time.sleep(self.poll_interval)

    @staticmethod
    def _group_members(pgid: int) -> list[int]:
        """Live (non-zombie) processes of the group ``pgid`` (Linux /proc)."""
        members: list[int] = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # pid (comm) state ppid pgrp ...: comm may contain spaces, so split after ')'.
            fields = stat[stat.rfind(")") + 2 :].split()
            if len(fields) > 2 and fields[0] != "Z" and int(fields[2]) == pgid:
                members.append(int(entry.name))
        return members

    def stop(self) -> int | None:
        """SIGTERM, wait up to ``stop_timeout``, SIGKILL; always reap. Returns the exit status."""
        proc = self._proc
        if proc is None:
            return None
        pgid = proc.pid  # start_new_session: the process leads its own group
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=self.stop_timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pgid, signal.SIGKILL)
                proc.wait()
        else:
            proc.wait()
        # Children forked by the server (its workers) must be gone too: they hold its sockets.
        deadline = time.monotonic() + self.stop_timeout
        killed = False
        while members := self._group_members(pgid):
            if time.monotonic() >= deadline:
                if killed:
                    raise ProcessError(f"{self.name}: processes {members} survived SIGKILL")
                for pid in members:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
                killed = True
                deadline = time.monotonic() + self.stop_timeout
            time.sleep(self.poll_interval)
        return proc.returncode

    def __enter__(self) -> ManagedProcess:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
