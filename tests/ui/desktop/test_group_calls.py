"""Group calls on the agent's desktop (issue 18), end to end on the real rig: a caller dials the
group's extension, Kamailio (routing from the server's database) rings the Ready members, anna
at her desktop and bert on a pjsua2 phone, with ``X-Communicator-Group``. Anna's incoming-call
panel, line and history name the group. Bert answers: Kamailio cancels anna's ringing with
``Reason: SIP;cause=200``, so her panel closes and the call stays out of her missed calls
(history "Answered elsewhere", no badge, no missed-call notification); its log reaches the
server's report under the group. A caller who gives up before anyone answers is still missed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtGui import QAccessible

from communicator.core.calls import EndReason
from communicator.provisioning.history import HistoryOutcome
from communicator.ui.desktop.controller import Desktop
from communicator.ui.desktop.main_window import DIRECTORY_TAB, HISTORY_TAB
from communicator.ui.desktop.notifications import NotificationKind
from communicator.ui.desktop.widgets.history_view import COLUMNS
from tests.rig.deployment import SIP_DOMAIN, Deployment
from tests.sip.helpers import wait_peer
from tests.ui.desktop.shown import wait_shown
from tests.ui.helpers import Desk, far_end, sign_in

pytestmark = [
    pytest.mark.rig,
    pytest.mark.qt_log_ignore(
        "This plugin does not support propagateSizeHints", "This plugin does not support raise"
    ),
]

GROUP_EXTENSION = 300
BERT = "2003"
"""The SIP account of bert's phone (a far-end peer), the group's other member."""


@pytest.fixture
def desktop(qapp: Any, deployment: Deployment, desk: Desk) -> Iterator[Desktop]:
    d = Desktop(server_url=deployment.site.url, login="anna", save_settings=False)
    d.attach(desk.model)
    try:
        yield d
    finally:
        d.close()


def make_group_route(deployment: Deployment) -> None:
    """The group rings all its Ready members at once; bert (account 2003) joins anna in it and
    reports Ready from his phone's client."""
    site, api = deployment.site, deployment.site.api
    group_id = deployment.group["id"]
    api.ok(
        site.http.patch(
            f"/api/v1/admin/groups/{group_id}",
            json={"extension": GROUP_EXTENSION, "call_order": "simultaneous", "ring_time_s": 60},
            headers=api.h,
        )
    )
    bert = api.agent("bert", group_id=group_id)
    account = deployment.far_accounts[BERT]
    api.ok(
        site.http.patch(
            f"/api/v1/admin/accounts/{account['id']}", json={"agent_id": bert["id"]}, headers=api.h
        )
    )
    token = api.sign_in("bert")["token"]
    body = {"state": "ready", "reason": None, "registration": {"registered": True}}
    api.ok(site.http.put("/api/v1/agent/status", json=body, headers=api.bearer(token)))


def anna_on_server(deployment: Deployment) -> str | None:
    api = deployment.site.api
    row = api.ok(
        deployment.site.http.get(f"/api/v1/admin/agents/{deployment.agent['id']}", headers=api.h)
    )
    return None if row["status"] is None else str(row["status"]["state"])


def history_cells(desktop: Desktop, column: str) -> list[str]:
    assert desktop.main_window is not None
    shown = desktop.main_window.history.table.model()
    index = COLUMNS.index(column)
    return [str(shown.index(row, index).data() or "") for row in range(shown.rowCount())]


def test_a_group_call_answered_by_another_member(
    deployment: Deployment, desk: Desk, desktop: Desktop, peer_factory: Any, qtbot: Any
) -> None:
    site, api = deployment.site, deployment.site.api
    group = deployment.group["name"]
    make_group_route(deployment)
    bert = far_end(peer_factory, deployment, BERT)
    caller = far_end(peer_factory, deployment, "2002")
    model = desk.model
    assert desktop.notifier is not None and desktop.panel is not None
    notified: list[Any] = []
    desktop.notifier.notified.connect(notified.append)
    sign_in(model, deployment, qtbot)
    qtbot.waitUntil(lambda: anna_on_server(deployment) == "ready", timeout=5000)
    desktop.show()
    assert desktop.main_window is not None
    wait_shown(qtbot, desktop.main_window)
    panel, window = desktop.panel, desktop.main_window
    window.tabs.setCurrentIndex(DIRECTORY_TAB)  # the history unseen: the badge counts

    since = bert.mark()
    with qtbot.waitSignal(model.incoming_call, timeout=5000) as ringing:
        call = caller.call(f"sip:{GROUP_EXTENSION}@{SIP_DOMAIN}")
    view = ringing.args[0]
    qtbot.waitUntil(panel.isVisible, timeout=3000)
    assert panel.group_label.isVisible() and panel.group_label.text() == f"via {group}"
    interface = QAccessible.queryAccessibleInterface(panel)
    assert interface is not None
    assert f"via {group}" in interface.text(QAccessible.Text.Description)
    assert window.lines.row_text(view.number)[1] == f"Incoming via {group}"

    bert_call = wait_peer(qtbot, bert, "incoming_call", since=since)["call_id"]
    with qtbot.waitSignal(model.call_ended, timeout=5000) as ended:
        bert.command("answer", call_id=bert_call, code=200)
    record = ended.args[0]
    assert record.end_reason is EndReason.ANSWERED_ELSEWHERE and not record.missed
    qtbot.waitUntil(lambda: not panel.isVisible(), timeout=3000)
    assert window.lines.row_text(view.number)[1] == "Free"
    assert model.state.missed_calls == 0
    assert window.tabs.tabText(HISTORY_TAB) == "History"
    shown = ["Answered elsewhere"]  # the history is read again in a turn of its own
    qtbot.waitUntil(lambda: history_cells(desktop, "Outcome") == shown, timeout=2000)
    assert history_cells(desktop, "Group") == [group]
    assert [e.outcome for e in model.history()] == [HistoryOutcome.ANSWERED_ELSEWHERE]
    assert [n.kind for n in notified] == [NotificationKind.INCOMING]
    caller.command("hangup", call_id=call)

    def report() -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = api.ok(
            site.http.get(
                "/api/v1/admin/reports/calls",
                params={"group": group, "agent": "anna"},
                headers=api.h,
            )
        )["rows"]
        return rows

    qtbot.waitUntil(lambda: len(report()) == 1, timeout=10000)
    (row,) = report()
    assert row["end_reason"] == "answered_elsewhere" and row["group"] == group

    # The control: the caller gives up while the group rings (a CANCEL without that Reason).
    since = bert.mark()
    with qtbot.waitSignal(model.incoming_call, timeout=5000):
        call = caller.call(f"sip:{GROUP_EXTENSION}@{SIP_DOMAIN}")
    qtbot.waitUntil(panel.isVisible, timeout=3000)
    wait_peer(qtbot, bert, "incoming_call", since=since)
    with qtbot.waitSignal(model.call_ended, timeout=5000) as ended:
        caller.command("hangup", call_id=call)
    assert ended.args[0].end_reason is EndReason.MISSED
    qtbot.waitUntil(lambda: not panel.isVisible(), timeout=3000)
    qtbot.waitUntil(lambda: model.state.missed_calls == 1, timeout=3000)
    assert window.tabs.tabText(HISTORY_TAB) == "History (1 missed)"
    shown = ["Missed", "Answered elsewhere"]
    qtbot.waitUntil(lambda: history_cells(desktop, "Outcome") == shown, timeout=2000)
    assert history_cells(desktop, "Group") == [group, group]
    qtbot.waitUntil(lambda: len(notified) == 3, timeout=3000)
    assert notified[2].kind is NotificationKind.MISSED
