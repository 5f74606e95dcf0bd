"""A group's overflow number and its members' SIP user names go into Request-URIs escaped
(RFC 3261: ``#`` and other characters outside ``unreserved`` / ``user-unreserved`` are not
allowed as such in a user part), so a service number like ``*12#`` is reached."""

from __future__ import annotations

from typing import Any

import pytest

from tests.rig.directory import DirectoryRig
from tests.rig.kamailio import DEFAULT_DOMAIN
from tests.rig.peer_client import PeerProcess

pytestmark = pytest.mark.rig
SQLITE = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)

SERVICE = "*12#"
ESCAPED = "*12%23"


def service_phone(rig: DirectoryRig, peer_factory: Any, username: str) -> PeerProcess:
    """A pjsua2 phone registered as ``username`` (its URIs escaped, its digest user not)."""
    escaped = username.replace("%", "%25").replace("#", "%23")
    peer: PeerProcess = peer_factory(
        f"svc-{escaped}",
        account=username,
        server=rig.kamailio,
        id_uri=f"sip:{escaped}@{DEFAULT_DOMAIN}",
    )
    return peer


def request_line(incoming: dict[str, Any]) -> str:
    return str(incoming["message"]).split("\r\n", 1)[0]


@SQLITE
def test_an_overflow_number_with_star_and_hash_is_reached(
    directory: DirectoryRig, peer_factory: Any
) -> None:
    rig = directory
    group = rig.api.group("Night", extension=300, overflow_number=SERVICE)
    rig.agent("a1", "a1-sip", group_id=group["id"], extension=201)
    rig.agent("svc", SERVICE, extension=260)
    service = service_phone(rig, peer_factory, SERVICE)
    rig.agent("caller", "caller-sip", extension=250)
    caller = rig.phone("caller")
    rig.report("a1", "not_ready")

    since = service.mark()
    call_id = caller.call(f"sip:300@{DEFAULT_DOMAIN}")
    incoming = service.wait_incoming(since=since)
    assert request_line(incoming).startswith(f"INVITE sip:{ESCAPED}@"), request_line(incoming)
    caller.command("hangup", call_id=call_id)
    caller.wait_call_state(call_id, "DISCONNECTED")


@SQLITE
@pytest.mark.parametrize(("username", "escaped"), [("desk#7", "desk%237")])
def test_a_member_whose_sip_user_name_needs_escaping_is_rung(
    directory: DirectoryRig, peer_factory: Any, username: str, escaped: str
) -> None:
    rig = directory
    group = rig.api.group("Hash", extension=300, call_order="simultaneous")
    rig.agent("h", username, group_id=group["id"], extension=207)
    phone = service_phone(rig, peer_factory, username)
    rig.agent("caller", "caller-sip", extension=250)
    caller = rig.phone("caller")
    rig.report("h", "ready")

    since = phone.mark()
    call_id = caller.call(f"sip:300@{DEFAULT_DOMAIN}")
    incoming = phone.wait_incoming(since=since)
    assert request_line(incoming).startswith(f"INVITE sip:{escaped}@"), request_line(incoming)
    caller.command("hangup", call_id=call_id)
    caller.wait_call_state(call_id, "DISCONNECTED")


@SQLITE
@pytest.mark.parametrize("claimed", ["a2-sip", "a%zz", "a1-sip%40x"])
def test_the_identity_must_be_the_authenticated_user(
    directory: DirectoryRig, peer_factory: Any, claimed: str
) -> None:
    """The identity is compared unescaped, and still has to be the user who authenticated:
    a1's credentials do not register a2's address, nor a malformed one."""
    rig = directory
    rig.agent("a1", "a1-sip", extension=201)
    rig.agent("a2", "a2-sip", extension=202)
    peer: PeerProcess = peer_factory("impostor")
    fields = peer.registration_fields(
        rig.kamailio, "a1-sip", id_uri=f"sip:{claimed}@{DEFAULT_DOMAIN}"
    )
    since = peer.mark()
    peer.register(**fields)
    event = peer.wait_for("reg_state", lambda e: e["code"] >= 200, since=since)
    assert event["code"] == 403, event
