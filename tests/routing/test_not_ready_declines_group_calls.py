"""An agent who leaves Ready while a group call rings gives it back at once (issue 18: "an agent
going Not ready stops being rung within 1 s"), on the real rig: anna at her workstation (the
real client) and bert on a pjsua2 phone in a group that rings "in order", Kamailio routing from
the server's database. Anna's phone rings for a group call; she goes Not ready: her client
declines the call with 480, so bert rings next, and her history shows a declined call, not a
missed one. A direct call keeps ringing: she may still answer a colleague."""

from __future__ import annotations

from typing import Any

import pytest

from communicator.core.calls import CallState, EndReason
from communicator.provisioning.history import HistoryOutcome
from tests.client.site import site
from tests.rig.deployment import SIP_DOMAIN, Deployment
from tests.sip.helpers import wait_peer
from tests.ui.conftest import deployment, desk
from tests.ui.helpers import Desk, far_end, ring_agent, sign_in, state_of

__all__ = ["deployment", "desk", "site"]

pytestmark = pytest.mark.rig

GROUP_EXTENSION = 300
BERT = "2003"
"""The SIP account of bert's phone (a far-end peer), the member after anna."""
GROUP_HEADER = "X-Communicator-Group: Support"


def in_order_group(deployment: Deployment) -> None:
    """Anna's group rings its members one after the other, anna first, each for a minute
    (so bert rings within the test only because anna gave the call back); bert joins it and
    reports Ready from his phone's client."""
    site, api = deployment.site, deployment.site.api
    group_id = deployment.group["id"]
    api.ok(
        site.http.patch(
            f"/api/v1/admin/groups/{group_id}",
            json={"extension": GROUP_EXTENSION, "call_order": "in_order", "ring_time_s": 60},
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


def test_going_not_ready_passes_a_ringing_group_call_to_the_next_member(
    deployment: Deployment, desk: Desk, peer_factory: Any, qtbot: Any
) -> None:
    in_order_group(deployment)
    bert = far_end(peer_factory, deployment, BERT)
    caller = far_end(peer_factory, deployment, "2002")
    model = desk.model
    sign_in(model, deployment, qtbot)
    qtbot.waitUntil(lambda: anna_on_server(deployment) == "ready", timeout=5000)

    since = bert.mark()
    with qtbot.waitSignal(model.incoming_call, timeout=5000) as ringing:
        call = caller.call(f"sip:{GROUP_EXTENSION}@{SIP_DOMAIN}")
    view = ringing.args[0]
    assert view.call is not None and view.call.group is not None
    assert not bert.events("incoming_call", lambda e: e["_i"] >= since)  # anna first

    with qtbot.waitSignal(model.call_ended, timeout=1000) as ended:
        model.set_not_ready("lunch")
    record = ended.args[0]
    assert record.call_id == view.call_id
    assert (record.end_reason, record.sip_code, record.missed) == (EndReason.REJECTED, 480, False)
    assert record.group == view.call.group
    incoming = wait_peer(qtbot, bert, "incoming_call", since=since, timeout=1.0)
    assert GROUP_HEADER in incoming["message"]
    assert model.state.missed_calls == 0
    assert [e.outcome for e in model.history()] == [HistoryOutcome.REJECTED]
    caller.command("hangup", call_id=call)


def test_a_direct_call_keeps_ringing_after_going_not_ready(
    deployment: Deployment, desk: Desk, peer_factory: Any, qtbot: Any
) -> None:
    caller = far_end(peer_factory, deployment, "2002")
    model = desk.model
    sign_in(model, deployment, qtbot)

    view = ring_agent(qtbot, model, caller)
    assert view.call is not None and view.call.group is None
    model.set_not_ready("lunch")
    assert state_of(model, view.call_id) is CallState.RINGING_IN
    since = caller.mark()
    model.answer(view.call_id)  # still ringing: the agent takes the colleague's call
    wait_peer(qtbot, caller, "call_state", lambda e: e["state"] == "CONFIRMED", since=since)
    assert state_of(model, view.call_id) is CallState.CONNECTED


def test_signing_out_passes_a_ringing_group_call_to_the_next_member(
    deployment: Deployment, desk: Desk, peer_factory: Any, qtbot: Any
) -> None:
    in_order_group(deployment)
    bert = far_end(peer_factory, deployment, BERT)
    caller = far_end(peer_factory, deployment, "2002")
    model = desk.model
    sign_in(model, deployment, qtbot)
    qtbot.waitUntil(lambda: anna_on_server(deployment) == "ready", timeout=5000)

    since = bert.mark()
    with qtbot.waitSignal(model.incoming_call, timeout=5000) as ringing:
        call = caller.call(f"sip:{GROUP_EXTENSION}@{SIP_DOMAIN}")
    view = ringing.args[0]
    with qtbot.waitSignal(model.call_ended, timeout=1000) as ended:
        model.sign_out()
    record = ended.args[0]
    assert record.call_id == view.call_id
    assert (record.end_reason, record.sip_code, record.missed) == (EndReason.REJECTED, 480, False)
    wait_peer(qtbot, bert, "incoming_call", since=since, timeout=1.0)
    qtbot.waitUntil(lambda: model.state.signed_in is None, timeout=10000)
    caller.command("hangup", call_id=call)
