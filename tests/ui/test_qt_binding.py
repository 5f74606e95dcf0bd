"""Guards against a Qt binding that corrupts reference counts.

PySide6-Essentials 6.12.0 drops a reference to ``None`` on every
``QCoreApplication.processEvents()`` call; a loop of them aborts the interpreter
("none_dealloc: deallocating None"). pyproject.toml pins below 6.12 for this; the test fails
if the pin is lifted to a release that still has the bug.
"""

import sys
from typing import Any

from PySide6.QtCore import QCoreApplication, QEventLoop


def test_process_events_keeps_none_refcount(qapp: Any) -> None:
    before = sys.getrefcount(None)
    for _ in range(2000):
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 0)
    # Other code may take or drop a few references meanwhile; a leak of one per call cannot hide.
    assert abs(sys.getrefcount(None) - before) < 100
