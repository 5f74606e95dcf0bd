"""pjmedia's ioqueue (RTP/RTCP) polled on a thread of ours, only while calls need it."""

from __future__ import annotations

import ctypes
import threading
from typing import Any

from communicator.sip.c_library import pjsua2_c_library
from communicator.sip.wakeup import TimeVal


class MediaPoller:
    """Polls pjmedia's ioqueue (RTP/RTCP) on a thread of ours, only while calls need it.

    pjmedia's own worker thread calls ``pj_ioqueue_poll`` with a 10 ms timeout for the whole
    life of the endpoint: 100 wake-ups a second with no call at all (measured: ~0.3 % of a
    core). pjsua insists on one worker when pjmedia has its own ioqueue, so after
    ``libInit`` pjmedia's workers are stopped (``pjmedia_endpt_stop_threads``; pjmedia keeps
    its ioqueue) and this thread does exactly what the worker did - but waits on an Event, at
    no cost, while no call exists. It is registered with pjlib, never runs Python callbacks
    (pjsua2 queues callbacks from other threads for the main thread), and is stopped before
    ``libDestroy``.
    """

    POLL_MS = 100
    """Packets end a poll at once; the timeout only bounds how late a stop or pause is seen
    (pjmedia's worker uses 10 ms; longer means fewer GIL round trips on quiet calls)."""

    def __init__(self, ep: Any) -> None:
        lib = pjsua2_c_library()
        lib.pjsua_get_pjmedia_endpt.restype = ctypes.c_void_p
        lib.pjmedia_endpt_get_ioqueue.restype = ctypes.c_void_p
        lib.pjmedia_endpt_get_ioqueue.argtypes = [ctypes.c_void_p]
        lib.pj_ioqueue_poll.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
        lib.pjmedia_endpt_stop_threads.argtypes = [ctypes.c_void_p]
        self._lib = lib
        media_endpoint = lib.pjsua_get_pjmedia_endpt()
        self._ioqueue = lib.pjmedia_endpt_get_ioqueue(media_endpoint)
        if not self._ioqueue:
            raise RuntimeError("pjmedia has no ioqueue of its own")
        if lib.pjmedia_endpt_stop_threads(media_endpoint) != 0:
            raise RuntimeError("pjmedia's worker threads could not be stopped")
        self._ep = ep
        self._active = threading.Event()
        self._stopping = False
        self._registered = threading.Event()
        self._thread = threading.Thread(target=self._run, name="pjmedia-io", daemon=True)
        self._thread.start()
        self._registered.wait(5.0)

    def set_active(self, active: bool) -> None:
        if active:
            self._active.set()
        else:
            self._active.clear()

    def _run(self) -> None:
        try:
            self._ep.libRegisterThread("pjmedia-io")
        finally:
            self._registered.set()
        timeout = TimeVal(0, self.POLL_MS)
        poll = self._lib.pj_ioqueue_poll
        ioqueue = self._ioqueue
        while True:
            self._active.wait()
            if self._stopping:
                return
            poll(ioqueue, ctypes.byref(timeout))

    def stop(self) -> None:
        self._stopping = True
        self._active.set()
        self._thread.join(5.0)
