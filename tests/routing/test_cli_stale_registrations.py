"""The command line removes the registrations its changes make stale, as ``serve`` does
(issue 18): ``communicator-server accounts delete`` / ``accounts release`` with
``--kamailio-rpc URL`` or ``COMMUNICATOR_KAMAILIO_RPC`` send Kamailio ``ul.rm`` for the old
identity before they exit; without either, the binding outlives the change."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import pytest

from communicator.provisioning.server.kamailio_rpc import KamailioRpc
from tests.rig.directory import DirectoryRig
from tests.rig.kamailio import DEFAULT_DOMAIN
from tests.routing.test_stale_registrations import call, wait_unregistered

pytestmark = pytest.mark.rig
SQLITE = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def cli(rig: DirectoryRig, db_url: str, *args: str, env: dict[str, str] | None = None) -> str:
    """Runs ``communicator-server ARGS`` on the rig's database; returns its output."""
    argv = [
        sys.executable,
        "-m",
        "communicator.provisioning.server.cli",
        *args,
        "--db",
        db_url,
        "--data-dir",
        str(rig.server.data_dir),
    ]
    environ = {k: v for k, v in os.environ.items() if k != "COMMUNICATOR_KAMAILIO_RPC"}
    result = subprocess.run(
        argv,
        env={**environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout + result.stderr


def registered(rig: DirectoryRig, username: str) -> bool:
    rpc = KamailioRpc(rig.kamailio.rpc_url)
    return rpc.call("ul.lookup", ["location", f"{username}@{DEFAULT_DOMAIN}"]) is not None


@SQLITE
@pytest.mark.parametrize("how", ["option", "environment", "neither"])
def test_accounts_delete_removes_the_registration(
    directory_factory: Any, db_url: str, how: str
) -> None:
    rig: DirectoryRig = directory_factory(kamailio_rpc=True)
    kim = rig.agent("kim", "kim-sip")
    phone = rig.phone("kim")
    rig.agent("bob", "bob-sip")
    caller = rig.phone("bob")
    assert registered(rig, "kim-sip")

    args = ["accounts", "delete", str(kim.account_id)]
    env: dict[str, str] = {}
    if how == "option":
        args += ["--kamailio-rpc", rig.kamailio.rpc_url]
    elif how == "environment":
        env["COMMUNICATOR_KAMAILIO_RPC"] = rig.kamailio.rpc_url
    mark = phone.mark()
    assert f"deleted {kim.account_id}" in cli(rig, db_url, *args, env=env)

    if how == "neither":  # the control: the phone registered before the deletion still rings
        assert registered(rig, "kim-sip")
        call(rig, caller, "kim-sip")
        phone.wait_incoming(since=mark)
        return
    assert not registered(rig, "kim-sip")  # gone when the command returned
    final = call(rig, caller, "kim-sip")
    assert (final["state"], final["code"]) == ("DISCONNECTED", 404), final
    assert not phone.events("incoming_call", lambda e: e["_i"] >= mark)


@SQLITE
def test_accounts_release_removes_the_holders_registration(
    directory_factory: Any, db_url: str, peer_factory: Any
) -> None:
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

    out = cli(
        rig,
        db_url,
        "accounts",
        "release",
        str(pool["id"]),
        env={"COMMUNICATOR_KAMAILIO_RPC": rig.kamailio.rpc_url},
    )
    assert f"released {pool['id']}" in out
    wait_unregistered(rig, "pool-sip")


@SQLITE
def test_kamailio_down_does_not_fail_the_command(directory_factory: Any, db_url: str) -> None:
    rig: DirectoryRig = directory_factory(kamailio_rpc=True)
    kim = rig.agent("kim", "kim-sip")
    url = rig.kamailio.rpc_url
    rig.kamailio.stop()
    out = cli(rig, db_url, "accounts", "delete", str(kim.account_id), "--kamailio-rpc", url)
    assert f"deleted {kim.account_id}" in out
    assert "did not remove the registrations of kim-sip@" in out
