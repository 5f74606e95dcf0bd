"""pjsua's log into Python logging: the SIP message trace and its switch.

The trace goes to the ``communicator.sip.trace`` logger with Authorization headers scrubbed.
It is on when `EndpointOptions.sip_trace` says so, or (when that is None) when the environment
variable ``COMMUNICATOR_SIP_TRACE`` is 1/true/yes/on.
"""

from __future__ import annotations

import logging
import os
from typing import Any

import pjsua2 as pj

from communicator.sip.sipmsg import scrub

trace_log = logging.getLogger("communicator.sip.trace")

TRACE_ENV = "COMMUNICATOR_SIP_TRACE"
TRACE_LEVEL = 5
QUIET_LEVEL = 2
"""pjsua log levels: 5 with the SIP messages, 2 errors and warnings only."""


def trace_wanted(option: bool | None) -> bool:
    """The option, or the environment variable when the option is None."""
    if option is not None:
        return option
    return os.environ.get(TRACE_ENV, "").strip().lower() in ("1", "true", "yes", "on")


def _python_level(level: int) -> int:
    if level <= 1:
        return logging.ERROR
    if level == 2:
        return logging.WARNING
    return logging.INFO if level == 3 else logging.DEBUG


class LogWriter(pj.LogWriter):
    """pjsua's log to Python logging, Authorization headers scrubbed."""

    def write(self, entry: Any) -> None:
        try:
            py_level = _python_level(int(entry.level))
            if trace_log.isEnabledFor(py_level):
                trace_log.log(py_level, "%s", scrub(str(entry.msg)).rstrip())
        except Exception:  # never raise into pjsua2
            return
