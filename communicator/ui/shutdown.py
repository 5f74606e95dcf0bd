"""Shutting down in order, whatever fails on the way."""

from __future__ import annotations

import logging
from collections.abc import Callable

log = logging.getLogger("communicator")


def close_in_order(*steps: tuple[str, Callable[[], object] | None]) -> None:
    """Run every shutdown step even if an earlier one fails (each failure is logged).

    A skipped step is worse than a failed one: a bridge left open or an endpoint never
    destroyed is torn down by the interpreter's exit in no particular order, with pjmedia's
    clock thread still calling the audio port.
    """
    for what, step in steps:
        if step is None:
            continue
        try:
            step()
        except Exception:
            log.exception("shutdown: %s failed", what)
