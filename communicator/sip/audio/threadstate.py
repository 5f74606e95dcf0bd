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
cffi does for the threads of its own callbacks.

Only for threads created in C: a Python thread's state belongs to CPython, which deletes it
when the thread ends (threads of `threading` are recognised and skipped; do not call this
from a thread started with ``_thread.start_new_thread``). Kept states are recorded once per
process, whichever `ThreadStates` kept them; a forked child forgets them (CPython has already
freed the other threads' states there). Linux only, and only where this process's own
threads are listed in /proc/self/task; elsewhere `keep_current` does nothing and the
directors churn as before.
"""

from __future__ import annotations

import ctypes
import os
import sys
import threading

TASKS = "/proc/self/task"


def _tasks_listed() -> bool:
    try:
        os.stat(f"{TASKS}/{threading.get_native_id()}")
    except OSError:
        return False
    return True


SUPPORTED = (
    sys.platform.startswith("linux") and sys.implementation.name == "cpython" and _tasks_listed()
)

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

_KEPT: dict[int, int] = {}
"""Kept thread state address -> native id of the (C-created) thread it belongs to."""
_LOCK = threading.Lock()


def _forget_in_child() -> None:
    _KEPT.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_in_child)


def _thread_gone(native_id: int) -> bool:
    """Only "no such task" counts as gone: any other error keeps the state."""
    try:
        os.stat(f"{TASKS}/{native_id}")
    except FileNotFoundError:
        return True
    except OSError:
        return False
    return False


class ThreadStates:
    def __init__(self, *, enabled: bool = SUPPORTED) -> None:
        self.enabled = enabled
        self.deleted = 0
        """States this instance's `sweep` deleted."""

    @property
    def kept(self) -> int:
        """Thread states kept in this process (by any instance)."""
        return len(_KEPT)

    def keep_current(self) -> None:
        """From a callback on a C-created thread: keep its thread state from now on."""
        if not self.enabled:
            return
        state = _current()
        if not state or state in _KEPT:
            return
        active = threading._active.get(threading.get_ident())  # type: ignore[attr-defined]
        if active is not None and not isinstance(active, threading._DummyThread):
            return  # a Python thread: CPython owns its state
        _ensure()
        with _LOCK:
            _KEPT[state] = threading.get_native_id()

    def sweep(self) -> int:
        """Main thread: delete the kept states of threads that have ended; returns how many."""
        if not _KEPT:
            return 0
        with _LOCK:
            gone = [state for state, tid in _KEPT.items() if _thread_gone(tid)]
            for state in gone:
                del _KEPT[state]
                _clear(state)
                _delete(state)
        self.deleted += len(gone)
        return len(gone)


KEEPER = ThreadStates()
"""The bridge's keeper."""
