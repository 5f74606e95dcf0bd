"""A pool number that changes hands on a real registrar: once the registrar has the table
exported after the lease ended, the password the previous holder saw no longer registers and
the next holder's does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.rig.kamailio import DEFAULT_DOMAIN
from tests.rig.peer_client import PeerError

from .conftest import Api

pytestmark = pytest.mark.rig


def sip_password(api: Api, token: str) -> str:
    profile = api.ok(api.c.get("/api/v1/profile", headers=api.bearer(token)))
    return str(profile["sip"]["password"])


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_previous_holder_cannot_register_after_the_lease_ends(
    api: Api, tmp_path: Path, kamailio_factory: Any, peer_factory: Any
) -> None:
    acc = api.account(sip_username="pool-7", sip_server="127.0.0.1", sip_domain=DEFAULT_DOMAIN)
    first = api.agent("ola")
    seen = sip_password(api, api.sign_in("ola")["token"])
    # The agent is disabled (its client may live on): the lease ends.
    api.ok(
        api.c.patch(f"/api/v1/admin/agents/{first['id']}", json={"active": False}, headers=api.h)
    )
    api.agent("pat")
    pat = api.sign_in("pat")
    assert pat["extension"] == str(acc["extension"])
    fresh = sip_password(api, pat["token"])

    table = tmp_path / "subscriber"
    table.write_text(api.c.get("/api/v1/admin/exports/kamailio", headers=api.h).text)
    server = kamailio_factory(subscriber_file=table, domain=DEFAULT_DOMAIN)
    stale = peer_factory("stale")
    with pytest.raises(PeerError, match="registration failed"):
        stale.register_on(server, "pool-7", password=seen, timeout=10)
    peer = peer_factory("next")
    event = peer.register_on(server, "pool-7", password=fresh)
    assert event["code"] == 200
