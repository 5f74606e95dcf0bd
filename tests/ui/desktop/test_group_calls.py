"""Group calls on the agent's desktop (issue 18), on the real rig: the incoming-call panel, the
line and the history name the group the proxy routed the call through, and a ringing group call
another member answered closes the panel and stays out of the missed calls (history "Answered
elsewhere", no badge, no missed-call notification); the server's report counts its log for the
group. The far end sends the proxy's headers itself (X-Communicator-Group on the INVITE,
``Reason: SIP;cause=200`` on the CANCEL) through the rig's Kamailio."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtGui import QAccessible

from communicator.provisioning.history import HistoryOutcome
from communicator.ui.desktop.controller import Desktop
from communicator.ui.desktop.main_window import DIRECTORY_TAB, HISTORY_TAB
from communicator.ui.desktop.notifications import NotificationKind
from communicator.ui.desktop.widgets.history_view import COLUMNS
from tests.rig.deployment import Deployment
from tests.ui.helpers import AGENT_URI, Desk, far_end, sign_in

pytestmark = [
    pytest.mark.rig,
    pytest.mark.qt_log_ignore(
        "This plugin does not support propagateSizeHints", "This plugin does not support raise"
    ),
]

GROUP = "Ventes Île-de-France"
ENCODED = "Ventes%20%C3%8Ele-de-France"
ELSEWHERE = 'SIP;cause=200;text="Call completed elsewhere"'


@pytest.fixture
def desktop(qapp: Any, deployment: Deployment, desk: Desk) -> Iterator[Desktop]:
    d = Desktop(server_url=deployment.site.url, login="anna", save_settings=False)
    d.attach(desk.model)
    try:
        yield d
    finally:
        d.close()


def ring(qtbot: Any, desk: Desk, far: Any, headers: dict[str, str]) -> tuple[Any, int]:
    """The far end calls the agent with ``headers``: the ringing line and the far end's id
    for its call."""
    with qtbot.waitSignal(desk.model.incoming_call, timeout=5000) as ringing:
        far_call = far.call(AGENT_URI, headers=headers)
    return ringing.args[0], far_call


def history_cells(desktop: Desktop, column: str) -> list[str]:
    assert desktop.main_window is not None
    table = desktop.main_window.history.table
    index = COLUMNS.index(column)
    items = (table.item(row, index) for row in range(table.rowCount()))
    return [item.text() if item is not None else "" for item in items]


def test_a_group_call_answered_elsewhere(
    deployment: Deployment, desk: Desk, desktop: Desktop, peer_factory: Any, qtbot: Any
) -> None:
    site, api = deployment.site, deployment.site.api
    api.group(GROUP)
    model = desk.model
    assert desktop.notifier is not None and desktop.panel is not None
    notified: list[Any] = []
    desktop.notifier.notified.connect(notified.append)
    sign_in(model, deployment, qtbot)
    desktop.show()
    assert desktop.main_window is not None
    qtbot.waitExposed(desktop.main_window)
    panel, window = desktop.panel, desktop.main_window
    window.tabs.setCurrentIndex(DIRECTORY_TAB)  # the history unseen: the badge counts
    far = far_end(peer_factory, deployment)

    view, far_call = ring(qtbot, desk, far, {"X-Communicator-Group": ENCODED})
    qtbot.waitUntil(panel.isVisible, timeout=3000)
    assert panel.group_label.isVisible() and panel.group_label.text() == f"via {GROUP}"
    interface = QAccessible.queryAccessibleInterface(panel)
    assert interface is not None
    assert f"via {GROUP}" in interface.text(QAccessible.Text.Description)
    assert window.lines.row_text(view.number)[1] == f"Incoming via {GROUP}"

    with qtbot.waitSignal(model.call_ended, timeout=5000) as ended:
        far.command("hangup", call_id=far_call, headers={"Reason": ELSEWHERE})
    record = ended.args[0]
    assert not record.missed
    qtbot.waitUntil(lambda: not panel.isVisible(), timeout=3000)
    assert window.lines.row_text(view.number)[1] == "Free"
    assert model.state.missed_calls == 0
    assert window.tabs.tabText(HISTORY_TAB) == "History"
    assert history_cells(desktop, "Outcome") == ["Answered elsewhere"]
    assert history_cells(desktop, "Group") == [GROUP]
    assert [e.outcome for e in model.history()] == [HistoryOutcome.ANSWERED_ELSEWHERE]
    assert model.history("Île")[0].group == GROUP  # the search finds the group too
    assert [n.kind for n in notified] == [NotificationKind.INCOMING]

    def report() -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = api.ok(
            site.http.get("/api/v1/admin/reports/calls", params={"group": GROUP}, headers=api.h)
        )["rows"]
        return rows

    qtbot.waitUntil(lambda: len(report()) == 1, timeout=10000)
    (row,) = report()
    assert row["end_reason"] == "answered_elsewhere" and row["group"] == GROUP

    # The control: the same caller gives up (a CANCEL without a Reason): a missed call.
    _view, far_call = ring(qtbot, desk, far, {})
    qtbot.waitUntil(panel.isVisible, timeout=3000)
    assert not panel.group_label.isVisible()
    with qtbot.waitSignal(model.call_ended, timeout=5000):
        far.command("hangup", call_id=far_call)
    qtbot.waitUntil(lambda: not panel.isVisible(), timeout=3000)
    qtbot.waitUntil(lambda: model.state.missed_calls == 1, timeout=3000)
    assert window.tabs.tabText(HISTORY_TAB) == "History (1 missed)"
    assert history_cells(desktop, "Outcome") == ["Missed", "Answered elsewhere"]
    qtbot.waitUntil(lambda: len(notified) == 3, timeout=3000)
    assert notified[2].kind is NotificationKind.MISSED
