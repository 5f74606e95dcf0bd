"""The call-quality light of a line in the main window, on the real rig: green on a clean call,
red once a relay in front of the far end's media drops 10 % of what the agent receives, with
the figures in its tooltip and accessible description."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt
from pytestqt.exceptions import TimeoutError as WaitTimeout

from communicator.core.call_quality import QualityLevel
from communicator.ui.desktop.main_window import MainWindow
from communicator.ui.desktop.widgets.lines_table import QUALITY_COLOURS, QUALITY_COLUMN
from tests.rig.deployment import Deployment
from tests.rig.udp_relay import UdpRelay
from tests.ui.desktop.test_main_window_calls import window
from tests.ui.helpers import Desk, answered_through_relay, far_end_behind, sign_in

pytestmark = [
    pytest.mark.rig,
    pytest.mark.timeout(90),
    pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints"),
]
__all__ = ["window"]


def test_quality_light_turns_red_with_loss_and_shows_the_figures(
    deployment: Deployment,
    desk: Desk,
    window: MainWindow,
    peer_factory: Any,
    relay: UdpRelay,
    qtbot: Any,
) -> None:
    model = desk.model
    sign_in(model, deployment, qtbot)
    far = far_end_behind(relay, peer_factory, deployment)
    lines = window.lines

    def no_light_while_ringing(ringing: Any) -> None:
        assert lines.row_text(ringing.number)[QUALITY_COLUMN] == ""

    view = answered_through_relay(qtbot, model, far, relay, ringing=no_light_while_ringing)
    qtbot.waitUntil(lambda: lines.row_text(view.number)[QUALITY_COLUMN] == "Good", timeout=10000)
    item = lines.item(view.number - 1, QUALITY_COLUMN)
    assert item is not None
    assert item.background().color() == QUALITY_COLOURS[QualityLevel.GOOD]
    assert "Received: loss 0.0 %" in lines.quality_tip(view.number)

    relay.drop_every = 10
    try:
        qtbot.waitUntil(
            lambda: lines.row_text(view.number)[QUALITY_COLUMN] == "Poor", timeout=15000
        )
    except WaitTimeout as timeout:  # what the light showed, and what the relay did
        raise AssertionError(f"not Poor: {model.view_of(view.call_id)}; {relay}") from timeout
    assert item.background().color() == QUALITY_COLOURS[QualityLevel.RED]
    tip = lines.quality_tip(view.number)
    assert tip.startswith("Call quality: red")
    assert "Codec: PCMU" in tip
    assert item.data(Qt.ItemDataRole.AccessibleDescriptionRole) == tip
    shown = model.view_of(view.call_id)
    assert shown is not None and shown.quality is not None
    assert shown.quality.rx_loss_pct > 2.0

    model.hangup(view.call_id)
    qtbot.waitUntil(lambda: lines.row_text(view.number)[QUALITY_COLUMN] == "", timeout=5000)
    assert lines.quality_tip(view.number) == ""
