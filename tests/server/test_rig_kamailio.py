"""The Kamailio export loaded into a real Kamailio; a pjsua2 peer registers with it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.rig.kamailio import DEFAULT_DOMAIN, read_subscriber_file

from .conftest import Api

pytestmark = pytest.mark.rig


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_exported_subscribers_register_on_kamailio(
    api: Api, tmp_path: Path, kamailio_factory, peer_factory
) -> None:
    agent = api.agent("kim")
    api.account(
        agent["id"],
        sip_username="kim-100",
        sip_password="pa:ss\\word",  # colons and backslashes must survive db_text escaping
        sip_server="127.0.0.1",
        sip_domain=DEFAULT_DOMAIN,
    )
    api.account(sip_username="pool-101", sip_password="pool-secret", sip_domain=DEFAULT_DOMAIN)
    resp = api.c.get("/api/v1/admin/exports/kamailio", headers=api.h)
    assert resp.status_code == 200
    table = tmp_path / "subscriber"
    table.write_text(resp.text)
    rows = read_subscriber_file(table)
    assert [(r.username, r.password) for r in rows] == [
        ("kim-100", "pa:ss\\word"),
        ("pool-101", "pool-secret"),
    ]

    server = kamailio_factory(subscriber_file=table, domain=DEFAULT_DOMAIN)
    peer = peer_factory("kim", account="kim-100", server=server)
    assert peer is not None
    pool_peer = peer_factory("pool", account="pool-101", server=server, transport="tcp")
    assert pool_peer is not None
