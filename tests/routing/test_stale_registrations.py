"""Registrations made with credentials that stopped being valid are removed at once (issue 18).

With ``serve --kamailio-rpc`` the server tells Kamailio (JSON-RPC ``ul.rm``) after an admin's
change; without it the binding stays until it expires and calls still ring the old phone.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from communicator.provisioning.server.kamailio_rpc import KamailioRpc
from tests.rig.directory import DirectoryRig
from tests.rig.kamailio import DEFAULT_DOMAIN
from tests.rig.peer_client import PeerProcess

pytestmark = pytest.mark.rig

GONE_WITHIN_S = 2.0


def wait_unregistered(rig: DirectoryRig, username: str) -> None:
    """Polls Kamailio's location table (an event we cannot subscribe to) for up to 2 s."""
    rpc = KamailioRpc(rig.kamailio.rpc_url)
    aor = f"{username}@{DEFAULT_DOMAIN}"
    deadline = time.monotonic() + GONE_WITHIN_S
    while rpc.call("ul.lookup", ["location", aor]) is not None:
        assert time.monotonic() < deadline, f"{aor} still registered after {GONE_WITHIN_S} s"


def call(rig: DirectoryRig, caller: PeerProcess, username: str) -> dict[str, Any]:
    """Calls ``username`` and returns the caller's first final state (rung or refused)."""
    call_id = caller.call(f"sip:{username}@{DEFAULT_DOMAIN}")
    event: dict[str, Any] = caller.wait_for(
        "call_state",
        lambda e: e["call_id"] == call_id and e["state"] in ("EARLY", "DISCONNECTED"),
    )
    return event


Change = Callable[[DirectoryRig, int], None]


def change_password(rig: DirectoryRig, account_id: int) -> None:
    rig.patch("accounts", account_id, {"sip_password": "new-secret-2"})


def deactivate_agent(rig: DirectoryRig, account_id: int) -> None:
    agent_id = next(a.agent_id for a in rig.agents.values() if a.account_id == account_id)
    rig.patch("agents", agent_id, {"active": False})


def delete_account(rig: DirectoryRig, account_id: int) -> None:
    rig.api.ok(rig.http.delete(f"/api/v1/admin/accounts/{account_id}", headers=rig.api.h), 204)


@pytest.mark.parametrize(
    "change",
    [change_password, deactivate_agent, delete_account],
    ids=["password", "deactivate", "delete"],
)
def test_old_phone_is_no_longer_rung(directory_factory: Any, change: Change) -> None:
    rig: DirectoryRig = directory_factory(kamailio_rpc=True)
    kim = rig.agent("kim", "kim-sip", sip_password="old-secret-1")
    phone = rig.phone("kim")  # registered with the old credentials
    rig.agent("bob", "bob-sip")
    caller = rig.phone("bob")
    rpc = KamailioRpc(rig.kamailio.rpc_url)
    assert rpc.call("ul.lookup", ["location", f"kim-sip@{DEFAULT_DOMAIN}"]) is not None

    mark = phone.mark()
    change(rig, kim.account_id)
    wait_unregistered(rig, "kim-sip")

    final = call(rig, caller, "kim-sip")
    assert (final["state"], final["code"]) == ("DISCONNECTED", 404), final
    assert not phone.events("incoming_call", lambda e: e["_i"] >= mark)


def test_without_the_option_the_old_phone_still_rings(directory: DirectoryRig) -> None:
    """The control: what ``--kamailio-rpc`` changes (the binding outlives the password)."""
    kim = directory.agent("kim", "kim-sip", sip_password="old-secret-1")
    phone = directory.phone("kim")
    directory.agent("bob", "bob-sip")
    caller = directory.phone("bob")

    mark = phone.mark()
    change_password(directory, kim.account_id)
    call(directory, caller, "kim-sip")
    phone.wait_incoming(since=mark)


def test_pool_release_removes_the_holders_registration(
    directory_factory: Any, peer_factory: Any
) -> None:
    """A pool number the admin releases (new password): its holder's phone stops ringing."""
    rig: DirectoryRig = directory_factory(kamailio_rpc=True)
    api = rig.api
    api.agent("pia", password="correct horse")
    pool = api.account(
        None, sip_username="pool-sip", sip_password="pool-first", sip_domain=DEFAULT_DOMAIN
    )
    token = api.sign_in("pia")["token"]
    profile = api.ok(rig.http.get("/api/v1/profile", headers=api.bearer(token)))
    phone = peer_factory("pia")
    assert rig.register(phone, "pool-sip", profile["sip"]["password"])["code"] == 200
    rig.agent("bob", "bob-sip")
    caller = rig.phone("bob")

    mark = phone.mark()
    api.ok(rig.http.post(f"/api/v1/admin/accounts/{pool['id']}/release", headers=api.h))
    wait_unregistered(rig, "pool-sip")

    final = call(rig, caller, "pool-sip")
    assert (final["state"], final["code"]) == ("DISCONNECTED", 404), final
    assert not phone.events("incoming_call", lambda e: e["_i"] >= mark)


def test_the_rpc_answers_only_on_its_own_port(directory_factory: Any) -> None:
    """The SIP TCP port speaks HTTP too (xhttp): it must not reach the RPC."""
    rig: DirectoryRig = directory_factory(kamailio_rpc=True)
    assert KamailioRpc(rig.kamailio.rpc_url).call("core.version", []) is not None
    sip_port = KamailioRpc(f"http://{rig.kamailio.host}:{rig.kamailio.tcp_port}/RPC")
    with pytest.raises(RuntimeError, match="HTTP 403"):
        sip_port.call("core.version", [])


def test_kamailio_down_does_not_fail_the_change(directory_factory: Any) -> None:
    rig: DirectoryRig = directory_factory(kamailio_rpc=True)
    kim = rig.agent("kim", "kim-sip", sip_password="old-secret-1")
    rig.kamailio.stop()
    change_password(rig, kim.account_id)  # answered 2xx (checked), whatever the RPC's fate
    delete_account(rig, kim.account_id)  # and the next change too: the sender thread lives on
