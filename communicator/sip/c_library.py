"""pjproject functions that pjsua2 does not wrap, called through ctypes.

The pjsua2 extension module exports the whole of pjproject's C API; the endpoint (log level,
media poller, timer heap) and `media_port` reach what pjsua2 leaves out through it.
"""

from __future__ import annotations

import ctypes
import functools

import pjsua2 as pj


@functools.cache
def pjsua2_c_library() -> ctypes.CDLL:
    """The pjsua2 extension module opened as a C library (opened once per process). Callers
    declare the argtypes of what they call."""
    return ctypes.CDLL(pj._pjsua2.__file__)


def set_log_level(level: int) -> bool:
    """Change pjlib's log level at run time (pjsua2 has no API for it)."""
    try:
        pjsua2_c_library().pj_log_set_level(ctypes.c_int(level))
    except (OSError, AttributeError):
        return False
    return True
