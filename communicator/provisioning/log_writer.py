"""Writes call logs into the outbox on a thread of its own, so that hanging up never waits for
the disk.

The outbox commits each log with ``synchronous=FULL`` (an fsync): a few milliseconds on a quiet
machine, 50 ms and more when the disk is busy. At hang-up that used to run on the GUI thread.
Now the thread that ends the call hands the log to :meth:`CallLogWriter.submit`, which only
puts it in memory and wakes the writer thread; the writer commits it at once, on its own
connection to the outbox file, and only then calls ``on_stored`` - so a log is counted as
waiting ("stored") only once it is durable.

"A call log is never lost" still holds, with one window:

* quitting flushes: :meth:`close` waits until every submitted log is committed (the workstation
  closes the writer before anything else it owns), and so does a normal interpreter exit
  (``atexit``), even when the application forgot to close;
* signing out flushes before it counts what is left to deliver (:meth:`flush`);
* an exception on the GUI thread does not stop the writer, and a failing write (disk full, a
  locked file) is kept in memory and retried, never dropped;
* **the window that remains**: a log lives only in this process's memory from the hang-up until
  the writer's commit returns - normally a few milliseconds, as long as the fsync takes under
  load. A ``kill -9``, a power cut or a native crash of the process (a segfault) inside that
  window loses that log. Before this writer the same window existed, shorter: the commit then
  ran in the hang-up step itself.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from communicator.provisioning.outbox import Outbox

log = logging.getLogger(__name__)

RETRY_S = 1.0
"""How long the writer waits before trying again a write that failed."""
CLOSE_WAIT_S = 30.0
"""How long closing waits for the last logs to be committed (the outbox's own lock timeout)."""


@dataclass(frozen=True)
class PendingLog:
    """A call log handed to the writer, not yet committed."""

    owner: str
    entry_id: str
    payload: Mapping[str, Any]
    recording_path: str | None


class CallLogWriter:
    """One writer thread per outbox file; :meth:`submit` from any thread."""

    def __init__(self, path: Path, *, on_stored: Callable[[str], None] | None = None) -> None:
        """``on_stored`` gets each log's id after its commit, on the writer thread."""
        self._path = path
        self._on_stored = on_stored
        self._queue: deque[PendingLog] = deque()
        self._busy = False
        """The writer holds a log taken from the queue and has not finished with it."""
        self._closing = False
        self._cond = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="call-log-writer", daemon=True)
        self._thread.start()
        atexit.register(self.close)

    def submit(
        self,
        owner: str,
        entry_id: str,
        payload: Mapping[str, Any],
        recording_path: str | None = None,
    ) -> None:
        """Hand one call log over; it is committed at once on the writer thread. After
        :meth:`close` (a call whose record arrives during shutdown) it is written here and now
        instead."""
        entry = PendingLog(owner, entry_id, dict(payload), recording_path)
        with self._cond:
            if not self._closing:
                self._queue.append(entry)
                self._cond.notify_all()
                return
        log.info("call log %s arrived after the writer closed: written at once", entry_id)
        with Outbox(self._path) as outbox:
            outbox.add(entry.owner, entry.entry_id, entry.payload, entry.recording_path)
        if self._on_stored is not None:
            self._on_stored(entry_id)

    def waiting(self) -> int:
        """Logs handed over and not yet committed."""
        with self._cond:
            return len(self._queue) + int(self._busy)

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every log submitted so far is committed. True if so, False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._queue and not self._busy, timeout)

    def close(self, timeout: float = CLOSE_WAIT_S) -> None:
        """Commit what was submitted (waits for it), then stop the thread. Idempotent."""
        atexit.unregister(self.close)
        with self._cond:
            self._closing = True
            self._cond.notify_all()
        self._thread.join(timeout)
        if self._thread.is_alive():
            log.error("call logs not written at close: %d (still retried)", self.waiting())

    def _run(self) -> None:
        outbox: Outbox | None = None
        try:
            while True:
                with self._cond:
                    self._cond.wait_for(lambda: bool(self._queue) or self._closing)
                    if not self._queue:
                        return  # closing, and everything is written
                    entry = self._queue[0]
                    self._busy = True
                try:
                    if outbox is None:
                        outbox = Outbox(self._path)
                    outbox.add(entry.owner, entry.entry_id, entry.payload, entry.recording_path)
                except Exception:  # keep it in memory and try again; never drop a log
                    log.exception("call log %s not written yet; retrying", entry.entry_id)
                    with self._cond:
                        self._busy = False
                    time.sleep(RETRY_S)
                    continue
                with self._cond:
                    self._queue.popleft()
                    self._busy = False
                    self._cond.notify_all()
                if self._on_stored is not None:
                    try:
                        self._on_stored(entry.entry_id)
                    except Exception:
                        log.exception("on_stored failed")
        finally:
            if outbox is not None:
                outbox.close()
            with self._cond:
                self._busy = False
                self._cond.notify_all()
