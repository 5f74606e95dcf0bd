"""Hot desk through Kamailio's routing (issue 18 with seed 004): an agent who chose a desk
phone at sign-in is rung on that desk phone when its extension, its SIP user name or its group
is called; back on "this computer", its extension is its own account again."""

from __future__ import annotations

from typing import Any

import pytest

from tests.rig.directory import DirectoryRig
from tests.rig.kamailio import DEFAULT_DOMAIN
from tests.rig.peer_client import PeerProcess

pytestmark = pytest.mark.rig

PHONE = "/api/v1/sessions/current/phone"
DESK_PW = "desk-phone-secret"


def _choose(rig: DirectoryRig, token: str, phone_id: int | None) -> None:
    rig.api.ok(rig.http.put(PHONE, json={"phone_id": phone_id}, headers=rig.api.bearer(token)))


def _rings(caller: PeerProcess, phone: PeerProcess, uri: str) -> dict[str, Any]:
    """Calls ``uri`` from ``caller``; returns the INVITE ``phone`` receives, then hangs up."""
    since = phone.mark()
    call_id = caller.call(uri)
    incoming: dict[str, Any] = phone.wait_incoming(since=since)
    caller.command("hangup", call_id=call_id)
    caller.wait_call_state(call_id, "DISCONNECTED")
    return incoming


@pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
def test_a_hot_desk_agent_is_rung_on_the_desk_phone_it_chose(
    directory: DirectoryRig, peer_factory: Any
) -> None:
    rig = directory
    group = rig.api.group("Desk team", extension=300, call_order="simultaneous")
    hd = rig.agent("hd", "hd-sip", group_id=group["id"], extension=220)
    rig.patch("agents", hd.agent_id, {"hot_desk": True})
    desk = rig.api.account(
        None,
        sip_username="desk-sip",
        sip_password=DESK_PW,
        sip_server="127.0.0.1",
        sip_domain=DEFAULT_DOMAIN,
        pool=False,
        extension=301,
    )
    rig.kamailio.remember_account("desk-sip", DESK_PW)
    rig.agent("caller", "caller-sip", extension=250)
    caller = rig.phone("caller")
    # The desk phone is registered; the agent's softphone registers nothing meanwhile.
    desk_phone: PeerProcess = peer_factory("desk", account="desk-sip", server=rig.kamailio)

    token = rig.sign_in("hd")
    _choose(rig, token, desk["id"])
    rig.report("hd", "ready")

    for dialled in ("220", "hd-sip"):  # the agent's extension, its SIP user name
        incoming = _rings(caller, desk_phone, f"sip:{dialled}@{DEFAULT_DOMAIN}")
        assert "desk-sip@" in incoming["message"].split("\r\n", 1)[0]
    group_call = _rings(caller, desk_phone, f"sip:300@{DEFAULT_DOMAIN}")
    assert "X-Communicator-Group: Desk%20team" in group_call["message"]

    # Back on this computer: the extension is the agent's own account again (not registered
    # here, so nobody rings), and the desk phone is free.
    _choose(rig, token, None)
    since = desk_phone.mark()
    call_id = caller.call(f"sip:220@{DEFAULT_DOMAIN}")
    final = caller.wait_call_state(call_id, "DISCONNECTED")
    assert final["code"] == 404, final
    assert not desk_phone.events("incoming_call", lambda e: e["_i"] >= since)


def _asserted(incoming: dict[str, Any]) -> list[str]:
    return [
        line.split(":", 1)[1].strip()
        for line in str(incoming["message"]).splitlines()
        if line.lower().startswith("p-asserted-identity:")
    ]


@pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
def test_calls_from_the_desk_phone_carry_the_agents_number(
    directory: DirectoryRig, peer_factory: Any
) -> None:
    """While a hot-desk agent's session has chosen a desk phone, the calls placed from that
    desk phone show the agent's phone number, as its softphone's would; once the agent is
    back on "this computer", the desk phone's own number."""
    rig = directory
    hd = rig.agent("hd", "hd-sip", extension=220, phone_number="+49 30 1234")
    rig.patch("agents", hd.agent_id, {"hot_desk": True})
    desk = rig.api.account(
        None,
        sip_username="desk-sip",
        sip_password=DESK_PW,
        sip_server="127.0.0.1",
        sip_domain=DEFAULT_DOMAIN,
        pool=False,
        extension=301,
        phone_number="+49 30 9999",
    )
    rig.kamailio.remember_account("desk-sip", DESK_PW)
    rig.agent("callee", "callee-sip", extension=250)
    callee = rig.phone("callee")
    desk_phone: PeerProcess = peer_factory("desk", account="desk-sip", server=rig.kamailio)

    assert _asserted(_rings(desk_phone, callee, f"sip:250@{DEFAULT_DOMAIN}")) == [
        f"<sip:+49309999@{DEFAULT_DOMAIN}>"
    ]
    token = rig.sign_in("hd")
    _choose(rig, token, desk["id"])
    assert _asserted(_rings(desk_phone, callee, f"sip:250@{DEFAULT_DOMAIN}")) == [
        f"<sip:+49301234@{DEFAULT_DOMAIN}>"
    ]
    _choose(rig, token, None)
    assert _asserted(_rings(desk_phone, callee, f"sip:250@{DEFAULT_DOMAIN}")) == [
        f"<sip:+49309999@{DEFAULT_DOMAIN}>"
    ]
