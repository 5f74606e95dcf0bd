"""Agent desktop figures, on a real X server (Xvfb) and the demo's contact center on loopback.

    .venv/bin/python bench/ui_bench.py [--launches 5] [--rings 20] [--idle 60]

Without a display it runs itself again under ``xvfb-run``. Figures (last line: one JSON object):

* ``cold_start_ratio``: the real ``communicator`` command's start to its sign-in window painted,
  over the same for a bare PySide6 window (this script's ``--probe``); medians of
  ``--launches`` interleaved launches. ``cold_start_cpu_ratio``: the same for the CPU time the
  launched process had used by then (its threads' ``/proc/PID/task/*/schedstat``, read when its
  line arrives): on a machine shared with other work the wall times mostly measure the wait
  for a core, the CPU time the start-up's own work.
* ``ring_to_panel_ms``: p95 over ``--rings`` calls of: the far end about to send its INVITE
  (the peer's ``time.monotonic()``, the same clock as ours) to the incoming-call panel painted.
  So it includes the far end's own work and Kamailio's hop: an upper bound.
* ``max_gui_stall_ms``: the longest gap, beyond its 1 ms interval, between two ticks of a
  precise timer on the GUI thread while the agent signs in (the main window opens), makes a
  call, takes one (ringing, the panel, answering, hanging up: phase ``incoming``, since 2 Dec
  22:00 UTC) and the admin changes the profile (pushed and applied live). Before the incoming
  call the history holds ``HISTORY_SEEDED`` calls more (a week of an agent's calls: the
  history shows its 500 newest), so its hang-up refreshes a full history (since 3 Dec 16:20
  UTC). Far-end and admin commands run on another thread, as they would in other processes.
  The windows are opened as the application opens them
  (`communicator.ui.desktop.controller.Desktop`, see `open_desktop`): the main window is built
  when the session model is attached, behind the sign-in window, and shown by the desktop on
  sign-in. (Until 2 Dec, 16:30 UTC the bench built it itself right
  after sign-in, which the application never did.)
* ``idle_cpu_pct`` and ``rss_mb``: a separate client process (``--client``, nothing of the
  bench in it; the same `Desktop`): signed in, main window open, registered; RSS after
  settling, then, from a minute after sign-in on (an agent waiting for calls has been Ready a
  while: the time in state shows whole minutes after its first one), CPU time
  (``process_time``) over ``--idle`` seconds of idling, as % of one core.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SCREEN = "1280x800x24"
HISTORY_SEEDED = 600


def load() -> float:
    return round(os.getloadavg()[0], 2)


def rerun_under_xvfb(argv: list[str]) -> int:
    command = ["xvfb-run", "-a", "-s", f"-screen 0 {SCREEN}", sys.executable, __file__, *argv]
    return subprocess.run(command, check=False).returncode


# ---------------------------------------------------------------------------- cold start


def probe(kind: str) -> int:
    """A launch measured by the parent: print one line when the first window is painted."""
    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QApplication, QWidget

    app = QApplication(sys.argv[:1])
    window = QWidget()
    window.setWindowTitle(kind)

    class FirstPaint(QObject):
        def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
            if event.type() == QEvent.Type.Paint:
                QTimer.singleShot(0, shown)
            return False

    def shown() -> None:
        print("shown", flush=True)
        app.quit()

    watcher = FirstPaint()
    window.installEventFilter(watcher)
    window.show()
    return int(app.exec())


def process_cpu_s(pid: int) -> float:
    """CPU time of all the threads of process ``pid`` so far (ns resolution, unlike ``stat``)."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            total += int((task / "schedstat").read_text().split()[0])
        except (OSError, IndexError, ValueError):
            continue
    return total / 1e9


def launch_seconds(kind: str, home: Path) -> tuple[float, float]:
    """Process start to the first window painted, and the process's CPU time by then: the
    bare probe, or the real ``communicator`` command (which prints ``shown ...`` when its
    sign-in window has painted, then builds the client and quits)."""
    if kind == "bare":
        command = [sys.executable, __file__, "--probe", kind]
    else:
        command = [
            *(sys.executable, "-m", "communicator.app"),
            *("--server", "http://127.0.0.1:9", "--login", "agent", "--quit-after-shown"),
        ]
    env = {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home / "config")}
    env["XDG_DATA_HOME"] = str(home / "data")
    started = time.monotonic()
    child = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=ROOT, env=env)
    assert child.stdout is not None
    line = child.stdout.readline()
    elapsed = time.monotonic() - started
    cpu = process_cpu_s(child.pid)
    child.stdout.read()
    child.wait(60)
    if not line.startswith("shown"):
        raise RuntimeError(f"launch {kind} did not show its window")
    return elapsed, cpu


def cold_start(launches: int) -> dict[str, Any]:
    home = Path(tempfile.mkdtemp(prefix="ui-bench-home-"))
    try:
        launch_seconds("bare", home)  # warm the file cache once for both
        launch_seconds("app", home)
        bare, sign_in = [], []
        for _ in range(launches):
            bare.append(launch_seconds("bare", home))
            sign_in.append(launch_seconds("app", home))
    finally:
        shutil.rmtree(home, ignore_errors=True)
    b, s = (statistics.median(t for t, _cpu in runs) for runs in (bare, sign_in))
    b_cpu, s_cpu = (statistics.median(cpu for _t, cpu in runs) for runs in (bare, sign_in))
    return {
        "cold_start_ratio": round(s / b, 2),
        "cold_start_bare_s": round(b, 3),
        "cold_start_sign_in_s": round(s, 3),
        "cold_start_cpu_ratio": round(s_cpu / b_cpu, 2),
        "cold_start_bare_cpu_s": round(b_cpu, 3),
        "cold_start_sign_in_cpu_s": round(s_cpu, 3),
        "cold_start_load": load(),
    }


# ---------------------------------------------------------------------------- on the rig


class StallMonitor:
    """A 1 ms precise timer on the GUI thread; the longest late tick per phase. A watcher
    thread notes where the GUI thread is when a tick is more than 16 ms late (the why).

    Each late tick is also split by the GUI thread's own scheduler counters
    (``/proc/thread-self/schedstat``: time on a CPU, time runnable but waiting for one) into
    ``cpu`` (the process's own work on the GUI thread), ``runq`` (the machine: other processes
    had the cores) and ``blocked`` (the rest: sleeping in a system call, a lock, the GIL).
    ``worst_own`` is the longest late tick less its run-queue wait: the stall the product
    itself causes, which a busy shared machine only adds to."""

    def __init__(self) -> None:
        from PySide6.QtCore import Qt, QTimer

        self.worst: dict[str, float] = {}
        self.worst_own: dict[str, float] = {}
        self.split: dict[str, dict[str, float]] = {}
        self.where: dict[str, str] = {}
        self.phase = ""
        self._last = 0.0
        self._sched = os.open("/proc/thread-self/schedstat", os.O_RDONLY)
        self._last_sched = (0, 0)
        self._seen: list[str] = []
        self._gui = threading.get_ident()
        self._timer = QTimer()
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(1)
        self._timer.timeout.connect(self._tick)
        self._running = False
        self._watcher: threading.Thread | None = None

    def start(self, phase: str) -> None:
        self.phase = phase
        self.worst.setdefault(phase, 0.0)
        self.worst_own.setdefault(phase, 0.0)
        self._last = time.perf_counter()
        self._last_sched = self._read_sched()
        self._seen.clear()  # what the watcher saw while paused was the bench's own set-up
        self._timer.start()
        if self._watcher is None:
            self._running = True
            self._watcher = threading.Thread(target=self._watch, daemon=True)
            self._watcher.start()

    def _read_sched(self) -> tuple[int, int]:
        """(ns on a CPU, ns runnable waiting for a CPU) of the GUI thread so far."""
        fields = os.pread(self._sched, 100, 0).split()
        return int(fields[0]), int(fields[1])

    def _tick(self) -> None:
        now = time.perf_counter()
        sched = self._read_sched()
        late = (now - self._last) * 1000 - 1.0
        wall = (now - self._last) * 1000
        cpu = (sched[0] - self._last_sched[0]) / 1e6
        runq = (sched[1] - self._last_sched[1]) / 1e6
        self._last, self._last_sched = now, sched
        if late > self.worst[self.phase]:
            self.worst[self.phase] = late
            self.where[self.phase] = " <- ".join(self._seen[-1:]) or "?"
            self.split[self.phase] = {
                "cpu": round(cpu, 1),
                "runq": round(runq, 1),
                "blocked": round(max(0.0, wall - cpu - runq), 1),
            }
        self.worst_own[self.phase] = max(self.worst_own[self.phase], late - runq)
        self._seen.clear()

    def _watch(self) -> None:
        import traceback

        while self._running:
            time.sleep(0.004)
            if time.perf_counter() - self._last > 0.016 and not self._seen:
                frame = sys._current_frames().get(self._gui)
                if frame is not None:
                    stack = traceback.extract_stack(frame)[-4:]
                    self._seen.append(
                        " < ".join(
                            f"{Path(f.filename).name}:{f.lineno} {f.name}" for f in reversed(stack)
                        )
                    )

    def pause(self) -> None:
        """Stop measuring until the next `start` (the bench's own set-up between phases)."""
        self._timer.stop()

    def stop(self) -> None:
        self._timer.stop()
        self._running = False


def seed_history(desk: Any, record: Any, count: int) -> None:
    """``count`` earlier calls in the history, ten minutes apart, copies of ``record``."""
    import uuid
    from dataclasses import replace

    signed_in = desk.model.state.signed_in
    assert signed_in is not None
    for n in range(1, count + 1):
        earlier = replace(record, record_id=uuid.uuid4(), created_at=record.created_at - 600 * n)
        desk.workstation.history.add(signed_in.session.owner, earlier, logged=True)


def in_background(action: Callable[[], Any]) -> threading.Thread:
    """Far-end and admin commands block until answered: never on the GUI thread."""
    thread = threading.Thread(target=action, daemon=True)
    thread.start()
    return thread


def on_the_rig(work: Path, rings: int, idle_s: float) -> dict[str, Any]:
    from PySide6.QtWidgets import QApplication

    from communicator.core.agent_state import AgentState
    from communicator.core.calls import CallState
    from communicator.demo.contact_center import contact_center
    from communicator.demo.desk import Desk
    from communicator.demo.far_ends import CUSTOMER, far_ends
    from communicator.demo.scenario import wait_until

    app = QApplication.instance() or QApplication(sys.argv[:1])
    figures: dict[str, Any] = {}
    with contact_center(work) as center, far_ends(center.kamailio, work) as far:
        desk = Desk(work / "client")
        model = desk.model
        monitor = StallMonitor()
        desktop = open_desktop(center.url, model)
        try:
            sign_in = desktop.sign_in_window
            window = desktop.main_window
            assert window is not None and desktop.panel is not None
            wait_until(sign_in.isVisible, 5, "the sign-in window")
            # The agent types the password meanwhile: the main window's later parts come in,
            # then its warm-ups (a turn each, hidden). Until 2 Dec 18:43 this waited for
            # MainWindow.prepared; that property went, and the wait with it (sign-in then also
            # measured the window being built). Now: every part built, then half a second.
            wait_until(lambda: getattr(window, "complete", True), 5, "the main window, built")
            settle(wait_until, 0.5)
            monitor.start("sign_in")
            sign_in.submit()
            wait_until(lambda: model.state.signed_in is not None, 20, "signing in")
            wait_until(window.isVisible, 5, "the main window")
            panel = TimedPanel(desktop.panel)
            wait_until(lambda: model.state.registered, 20, "registering")
            settle(wait_until, 0.5)

            def connected() -> bool:
                view = model.line(1)
                return view.call is not None and view.call.state is CallState.CONNECTED

            def idle() -> bool:
                return all(v.call is None for v in model.state.lines)

            ended: list[Any] = []
            model.call_ended.connect(ended.append)
            monitor.start("call")
            model.place_call(CUSTOMER.user)
            wait_until(connected, 10, "the customer's answer")
            settle(wait_until, 1.0)
            call_id = model.line(1).call_id
            assert call_id is not None
            model.hangup(call_id)
            wait_until(idle, 10, "the hang-up")
            wait_until(lambda: model.state.agent.state is AgentState.WRAP_UP, 5, "wrap-up")
            model.set_ready()
            wait_until(lambda: model.state.agent.state is AgentState.READY, 5, "ready")
            settle(wait_until, 0.5)

            monitor.pause()
            seed_history(desk, ended[0], HISTORY_SEEDED)
            settle(wait_until, 0.5)
            # Ringing, answering and hanging up an incoming call (the panel, the answer, the
            # call log written at hang-up, the full history refreshed), then back to Ready.
            monitor.start("incoming")
            sent: dict[str, Any] = {}
            uri = center.agent_uri
            in_background(lambda: sent.update(far.caller.command("call_timed", uri=uri)))
            wait_until(lambda: model.line(1).ringing_in, 10, "the ringing")
            wait_until(desktop.panel.isVisible, 5, "the incoming-call panel")
            ringing_id = model.line(1).call_id
            assert ringing_id is not None
            model.answer(ringing_id)
            wait_until(connected, 10, "the answered call")
            settle(wait_until, 1.0)
            model.hangup(ringing_id)
            wait_until(idle, 10, "the hang-up")
            wait_until(lambda: model.state.agent.state is AgentState.WRAP_UP, 5, "wrap-up")
            model.set_ready()
            wait_until(lambda: model.state.agent.state is AgentState.READY, 5, "ready")
            settle(wait_until, 0.5)

            monitor.start("profile_update")
            in_background(
                lambda: center.admin(
                    "PATCH",
                    f"/accounts/{center.agent_account_id}",
                    json={"register_expiry_s": 120, "register_refresh_s": 60},
                )
            )
            wait_until(
                lambda: bool(
                    model.state.registration.current is not None
                    and model.state.registration.current.expiry == 120
                ),
                15,
                "re-registration with the pushed profile",
            )
            settle(wait_until, 0.5)
            monitor.stop()
            figures["max_gui_stall_ms"] = round(max(monitor.worst.values()), 1)
            figures["gui_stall_ms_by_phase"] = {k: round(v, 1) for k, v in monitor.worst.items()}
            figures["gui_stall_where"] = monitor.where
            figures["gui_stall_split_ms"] = monitor.split
            figures["max_gui_stall_own_ms"] = round(max(monitor.worst_own.values()), 1)
            figures["gui_stall_own_ms_by_phase"] = {
                k: round(v, 1) for k, v in monitor.worst_own.items()
            }
            figures["gui_stall_load"] = load()

            samples: list[float] = []
            engine_samples: list[float] = []
            for _ in range(rings):
                ring_ms, engine_ms = ring_once(far.caller, center.agent_uri, model, panel)
                samples.append(ring_ms)
                engine_samples.extend(engine_ms)
            figures["ring_to_panel_ms"] = round(percentile(samples, 95), 1)
            figures["ring_to_panel_median_ms"] = round(statistics.median(samples), 1)
            figures["ring_engine_to_panel_p95_ms"] = round(percentile(engine_samples, 95), 1)
            figures["ring_load"] = load()
        finally:
            monitor.stop()
            desktop.close()
            desk.close()
        app.processEvents()
        figures.update(idle_client(center.url, idle_s))
    return figures


def open_desktop(url: str, model: Any) -> Any:
    """The agent's windows as the application opens them (`communicator.app.desktop`): the
    sign-in window first; then, once the client exists, the desktop attached to the session
    model, which builds the main window and the incoming-call panel; on sign-in the desktop
    shows the main window. No tray (Xvfb has none) and no settings saved."""
    from communicator.demo.contact_center import AGENT_LOGIN, AGENT_PASSWORD
    from communicator.ui.desktop.controller import Desktop

    desktop = Desktop(
        server_url=url,
        login=AGENT_LOGIN,
        save_settings=False,
        close_to_tray=False,
        tray_available=False,
    )
    desktop.show()
    desktop.attach(model)
    desktop.sign_in_window.set_password(AGENT_PASSWORD)
    return desktop


def ring_once(caller: Any, uri: str, model: Any, panel: TimedPanel) -> tuple[float, list[float]]:
    """One call from the far end until the panel is painted, then the far end hangs up.
    Returns (INVITE sent to panel painted, [engine's call created to panel painted]) in ms."""
    from communicator.demo.scenario import wait_until

    sent: dict[str, Any] = {}
    panel.painted_at = None
    in_background(lambda: sent.update(caller.command("call_timed", uri=uri)))
    try:
        wait_until(lambda: panel.painted_at is not None and bool(sent), 10, "the panel")
    except TimeoutError:
        print(model.state.agent, model.state.registration, model.state.lines, caller.describe())
        raise
    assert panel.painted_at is not None
    ring_ms = (panel.painted_at - float(sent["sent_at"])) * 1000
    ringing = model.line(1).call
    engine_ms = [] if ringing is None else [(panel.painted_epoch - ringing.created_at) * 1000]
    in_background(lambda: caller.command("hangup", call_id=sent["call_id"]))
    wait_until(
        lambda: all(v.call is None for v in model.state.lines) and not panel.widget.isVisible(),
        10,
        "the hang-up",
    )
    return ring_ms, engine_ms


class TimedPanel:
    """The desktop's incoming-call panel, with the time of its first paint after each show."""

    def __init__(self, widget: Any) -> None:
        from PySide6.QtCore import QEvent, QObject

        self.widget = widget
        self.painted_at: float | None = None
        self.painted_epoch = 0.0
        owner = self

        class Watcher(QObject):
            def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
                if event.type() == QEvent.Type.Paint and owner.painted_at is None:
                    owner.painted_at = time.monotonic()
                    owner.painted_epoch = time.time()
                return False

        self._watcher = Watcher()
        self.widget.installEventFilter(self._watcher)


def settle(wait_until: Callable[..., None], seconds: float) -> None:
    end = time.monotonic() + seconds
    wait_until(lambda: time.monotonic() >= end, seconds + 1, "settling")


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


# ---------------------------------------------------------------------------- idle client


IDLE_AFTER_S = 60.0
"""The idle client measures from this long after its sign-in on (Ready since then)."""


def idle_client(url: str, idle_s: float) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    for audio in (True, False):
        with tempfile.TemporaryDirectory(prefix="ui-bench-client-") as data:
            argv = [sys.executable, __file__, "--client", url, "--data", data]
            argv += ["--idle", str(idle_s)] + (["--audio"] if audio else [])
            done = subprocess.run(
                argv,
                check=False,
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=IDLE_AFTER_S + idle_s + 120,
            )
        lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
        if done.returncode != 0 or not lines:
            raise RuntimeError(f"the idle client failed:\n{done.stdout}\n{done.stderr[-3000:]}")
        result = json.loads(lines[-1])
        suffix = "" if audio else "_no_audio"
        figures[f"idle_cpu_pct{suffix}"] = result["idle_cpu_pct"]
        figures[f"rss_mb{suffix}"] = result["rss_mb"]
        figures[f"rss_by_mapping_mb{suffix}"] = result["rss_by_mapping_mb"]
        figures[f"idle_load{suffix}"] = result["load"]
        figures[f"idle_cpu_pct_by_thread{suffix}"] = result["cpu_pct_by_thread"]
        figures[f"idle_events_per_s{suffix}"] = result["events_per_s"]
    return figures


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def rss_by_mapping(top: int = 12) -> dict[str, float]:
    """Where the resident memory is (MB): anonymous memory (heap, Python objects, pools) and
    each library or file mapped, the largest first."""
    sizes: dict[str, int] = {}
    name = "?"
    for line in Path("/proc/self/smaps").read_text().splitlines():
        fields = line.split()
        if not fields:
            continue
        if not fields[0].endswith(":"):  # a mapping's header: address perms offset dev inode [path]
            path = fields[5] if len(fields) > 5 else "[anon]"
            name = Path(path).name if path.startswith("/") else path
        elif fields[0] == "Rss:":
            sizes[name] = sizes.get(name, 0) + int(fields[1])
    ranked = sorted(sizes.items(), key=lambda item: -item[1])
    return {key: round(kb / 1024, 1) for key, kb in ranked[:top]}


TICKS = os.sysconf("SC_CLK_TCK")


def thread_cpu() -> dict[str, int]:
    """CPU ticks (user + system) of each thread of this process, by "name/tid" (the main
    thread is "main")."""
    found: dict[str, int] = {}
    for task in Path("/proc/self/task").iterdir():
        try:
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
            name = (task / "comm").read_text().strip()
        except OSError:
            continue
        key = "main" if int(task.name) == os.getpid() else f"{name}/{task.name}"
        found[key] = int(fields[11]) + int(fields[12])
    return found


def count_events(seconds: float) -> dict[str, float]:
    """What wakes the idle GUI thread: events per second by type and receiver (the owner of a
    QTimer, a QSocketNotifier...), the busiest first. Measured after the CPU figure (the
    counting costs CPU itself)."""
    from collections import Counter

    from PySide6.QtCore import QEvent, QEventLoop, QObject, QTimer
    from PySide6.QtWidgets import QApplication

    counts: Counter[str] = Counter()

    class Counting(QObject):
        def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
            owner = watched.parent()
            where = type(watched).__name__ + (f" of {type(owner).__name__}" if owner else "")
            counts[f"{event.type().name} -> {where}"] += 1
            return False

    app = QApplication.instance()
    assert app is not None
    counting = Counting()
    app.installEventFilter(counting)
    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()
    app.removeEventFilter(counting)
    return {what: round(n / seconds, 1) for what, n in counts.most_common(8)}


def client(url: str, data: Path, idle_s: float, audio: bool) -> int:
    """The agent's client alone: signed in, main window open, registered, then idle."""
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from communicator.demo.desk import Desk
    from communicator.demo.scenario import wait_until

    app = QApplication(sys.argv[:1])
    desk = Desk(data, audio=audio)
    desktop = None
    try:
        model = desk.model
        desktop = open_desktop(url, model)
        desktop.sign_in_window.submit()
        wait_until(lambda: model.state.signed_in is not None, 20, "signing in")
        signed_in_at = time.monotonic()
        window = desktop.main_window
        assert window is not None
        wait_until(window.isVisible, 5, "the main window")
        wait_until(lambda: model.state.registered, 20, "registering")
        settle(wait_until, 3.0)
        rss, rss_where = rss_mb(), rss_by_mapping()
        # Idle as an agent waiting for calls is: a while in the state already (its time shows
        # whole minutes after the first one, see AgentStateSwitch), no input for 10 s or more.
        loop = QEventLoop()
        QTimer.singleShot(
            int(max(0.0, signed_in_at + IDLE_AFTER_S - time.monotonic()) * 1000), loop.quit
        )
        loop.exec()
        loop = QEventLoop()
        QTimer.singleShot(int(idle_s * 1000), loop.quit)  # no polling timer of ours meanwhile
        before, started, threads_before = time.process_time(), time.monotonic(), thread_cpu()
        loop.exec()
        cpu, elapsed = time.process_time() - before, time.monotonic() - started
        threads_after = thread_cpu()
        wakeups = count_events(min(idle_s, 10.0))
        by_thread = {
            name: round(100 * (ticks - threads_before.get(name, 0)) / TICKS / elapsed, 3)
            for name, ticks in threads_after.items()
            if ticks - threads_before.get(name, 0) > 0
        }
        print(
            json.dumps(
                {
                    "idle_cpu_pct": round(100 * cpu / elapsed, 3),
                    "rss_mb": round(rss, 1),
                    "rss_by_mapping_mb": rss_where,
                    "load": load(),
                    "audio": audio,
                    "cpu_pct_by_thread": by_thread,
                    "events_per_s": wakeups,
                }
            ),
            flush=True,
        )
    finally:
        if desktop is not None:
            desktop.close()
        app.processEvents()
        desk.close()
    return 0


# ---------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--launches", type=int, default=5)
    parser.add_argument("--rings", type=int, default=20)
    parser.add_argument("--idle", type=float, default=60.0)
    parser.add_argument("--probe", choices=("bare",), help=argparse.SUPPRESS)
    parser.add_argument("--client", help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--audio", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if not os.environ.get("DISPLAY"):
        return rerun_under_xvfb(argv)
    os.environ.pop("QT_QPA_PLATFORM", None)
    sys.path.insert(0, str(ROOT))
    if args.probe:
        return probe(args.probe)
    if args.client:
        return client(args.client, args.data, args.idle, args.audio)

    figures: dict[str, Any] = {"cores": os.cpu_count()}
    figures.update(cold_start(args.launches))
    print(f"cold start: {json.dumps(figures)}", flush=True)
    with tempfile.TemporaryDirectory(prefix="ui-bench-") as tmp:
        figures.update(on_the_rig(Path(tmp), args.rings, args.idle))
    for name, target, better in (
        ("cold_start_ratio", 1.3, "<="),
        ("ring_to_panel_ms", 50, "<="),
        ("max_gui_stall_ms", 16, "<="),
        ("idle_cpu_pct", 0.1, "<="),
        ("rss_mb", 100, "<="),
    ):
        met = figures[name] <= target
        print(f"{name}: {figures[name]} (target {better} {target}: {'met' if met else 'NOT met'})")
    print(json.dumps(figures), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
