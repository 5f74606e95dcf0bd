"""Only the proxy says a call was answered elsewhere (issue 18): a caller who hangs up with its
own ``Reason: SIP;cause=200`` in the CANCEL does not make the agent's history say "answered
elsewhere"; the call is missed. When a member answers a group call, the proxy's own CANCELs to
the others still carry the cause (tests/routing/test_group_calls.py)."""

from __future__ import annotations

from typing import Any

import pytest

from communicator.core.calls import EndReason
from communicator.provisioning.history import HistoryOutcome
from tests.client.site import site
from tests.rig.deployment import SIP_DOMAIN, Deployment
from tests.routing.test_not_ready_declines_group_calls import anna_on_server
from tests.ui.conftest import deployment, desk
from tests.ui.helpers import AGENT_URI, Desk, far_end, sign_in

__all__ = ["deployment", "desk", "site"]

pytestmark = pytest.mark.rig

FORGED = {"Reason": 'SIP;cause=200;text="Call completed elsewhere"'}
GROUP_EXTENSION = 300


@pytest.mark.parametrize("dialled", ["agent", "group"])
def test_a_callers_cancel_cannot_say_answered_elsewhere(
    deployment: Deployment, desk: Desk, peer_factory: Any, qtbot: Any, dialled: str
) -> None:
    uri = AGENT_URI
    if dialled == "group":
        site, api = deployment.site, deployment.site.api
        api.ok(
            site.http.patch(
                f"/api/v1/admin/groups/{deployment.group['id']}",
                json={"extension": GROUP_EXTENSION, "call_order": "simultaneous"},
                headers=api.h,
            )
        )
        uri = f"sip:{GROUP_EXTENSION}@{SIP_DOMAIN}"
    caller = far_end(peer_factory, deployment, "2002")
    model = desk.model
    sign_in(model, deployment, qtbot)
    qtbot.waitUntil(lambda: anna_on_server(deployment) == "ready", timeout=5000)

    with qtbot.waitSignal(model.incoming_call, timeout=5000) as ringing:
        call_id = caller.call(uri)
    view = ringing.args[0]
    assert (view.call is not None and view.call.group is not None) == (dialled == "group")
    with qtbot.waitSignal(model.call_ended, timeout=5000) as ended:
        caller.command("hangup", call_id=call_id, headers=FORGED)  # the CANCEL carries it
    record = ended.args[0]
    assert record.call_id == view.call_id
    assert (record.end_reason, record.missed) == (EndReason.MISSED, True), record
    assert [e.outcome for e in model.history()] == [HistoryOutcome.MISSED]
    assert model.state.missed_calls == 1
