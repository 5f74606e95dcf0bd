"""Keep a Python thread state on pjmedia's clock thread from one port callback to the next.

pjsua2's SWIG directors wrap every callback from a C thread in ``PyGILState_Ensure`` /
``PyGILState_Release``. On a thread that has no Python thread state of its own (pjmedia's
clock thread, which calls the bridge port twice every 20 ms), Ensure creates one and Release
deletes it again: per callback a thread state is allocated and initialised and a 16 KiB frame
stack is mapped and unmapped (perf here: munmap, page faults and gettid on the clock thread;
~0.45 % of a core per call of the ~1.5 % the port's callbacks cost).

`ThreadStates.keep_current`, called inside such a callback (GIL held), takes one extra
``PyGILState_Ensure`` on that thread the first time, so the directors' Release never brings
the count to zero and the state stays. A thread that ends leaves its state behind: `sweep`
(main thread, GIL held) deletes the states of threads that no longer exist, which is what
cffi does for the threads of its own callbacks. Python threads are left alone (CPython
deletes their states itself). Linux only (liveness read from /proc/self/task); elsewhere
`keep_current` does nothing and the directors churn as before.
"""

from __future__ import annotations

import ctypes
import os
import sys
import threading

SUPPORTED = sys.platform.startswith("linux") and sys.implementation.name == "cpython"
TASKS = "/proc/self/task"

_api = ctypes.pythonapi  # a PyDLL: calls keep the GIL, as these functions require
_ensure = _api.PyGILState_Ensure
_ensure.argtypes = []
_ensure.restype = ctypes.c_int
_current = _api.PyGILState_GetThisThreadState
_current.argtypes = []
_current.restype = ctypes.c_void_p
_clear = _api.PyThreadState_Clear
_clear.argtypes = [ctypes.c_void_p]
_clear.restype = None
_delete = _api.PyThreadState_Delete
_delete.argtypes = [ctypes.c_void_p]
_delete.restype = None


class ThreadStates:
    def __init__(self, *, enabled: bool = SUPPORTED, tasks: str = TASKS) -> None:
        self.enabled = enabled
        self._tasks = tasks
        self._kept: dict[int, int] = {}
        """Thread state address -> native id of the (foreign) thread it belongs to."""
        self._lock = threading.Lock()
        self.deleted = 0

    @property
    def kept(self) -> int:
        return len(self._kept)

    def keep_current(self) -> None:
        """From a callback on a foreign thread: keep its thread state from now on."""
        if not self.enabled:
            return
        state = _current()
        if not state or state in self._kept:
            return
        active = threading._active.get(threading.get_ident())  # type: ignore[attr-defined]
        if active is not None and not isinstance(active, threading._DummyThread):
            return  # a Python thread: CPython owns its state
        _ensure()
        with self._lock:
            self._kept[state] = threading.get_native_id()

    def sweep(self) -> int:
        """Main thread: delete the kept states of threads that have ended; returns how many."""
        if not self._kept:
            return 0
        with self._lock:
            gone = [
                s for s, tid in self._kept.items() if not os.path.exists(f"{self._tasks}/{tid}")
            ]
            for state in gone:
                del self._kept[state]
                _clear(state)
                _delete(state)
        self.deleted += len(gone)
        return len(gone)


KEEPER = ThreadStates()
"""The process's one keeper (thread states are per process)."""
