from __future__ import annotations

from communicator.core.call_quality import CallQuality
from communicator.core.calls import CallId
from communicator.sip.events import QualityMeasured
from communicator.ui.headless import describe_event


def test_console_shows_a_quality_reading_on_one_line() -> None:
    quality = CallQuality("PCMU/8000", 97, 3, 4.0, 100, 0, 2.0, 12.0, 20.0)
    text = describe_event(QualityMeasured(CallId("c1"), quality))
    assert "\n" not in text
    assert text.startswith("quality of c1: Call quality: amber")
    assert "Received: loss 3.0 %" in text and "Round trip: 12 ms" in text
