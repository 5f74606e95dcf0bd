"""Kamailio keeps reading the server's PostgreSQL after its connections are cut (a database
restart or failover, as Kamailio sees it): authentication (auth_db), extension aliases
(alias_db) and group routing (sqlops) reconnect at their next query, no Kamailio restart.
(db_postgres finds its connection dead when a query fails, resets it and sends the query again:
the request that meets it goes through, logged as a WARNING.)"""

from __future__ import annotations

import sqlite3
from typing import Any

import psycopg
import pytest

from tests.rig.directory import DirectoryRig
from tests.rig.kamailio import DEFAULT_DOMAIN
from tests.rig.peer_client import PeerProcess

pytestmark = pytest.mark.rig

# UDP worker processes of the rig's Kamailio (children=4), each with its own connections.
KAMAILIO_PROCESSES = 4


def _cut_every_other_connection(db_url: str) -> int:
    """pg_terminate_backend on every session of the database but this one; how many."""
    with psycopg.connect(db_url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        rows = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchall()
    return len(rows)


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_kamailio_reconnects_after_the_database_drops_it(
    db_url: str, directory: DirectoryRig, peer_factory: Any
) -> None:
    group = directory.api.group("Night", extension=300, call_order="simultaneous")
    kim = directory.agent("kim", "kim-sip", group_id=group["id"], extension=201)
    directory.agent("lea", "lea-sip", extension=202)
    kim_phone = directory.phone("kim")  # auth_db has read the database
    lea_phone = directory.phone("lea")
    directory.report("kim", "ready")
    _ring(lea_phone, kim_phone, "300")  # sqlops and alias_db have read it too

    # A caller from outside (not authenticated: its call's first query is the group's).
    outsider = peer_factory("outsider")
    outsider.command(
        "register",
        user="outsider",
        password="unused",
        domain="outside.invalid",
        proxy=directory.kamailio.proxy_uri("udp"),
        transport="udp",
        register=False,
    )

    assert _cut_every_other_connection(db_url) >= 1

    # Each of Kamailio's processes meets its dead connection once: more calls than it has
    # processes, each of which must still reach kim (the group, then its extension).
    for _ in range(KAMAILIO_PROCESSES + 2):
        _ring(outsider, kim_phone, "300")
    for n in range(KAMAILIO_PROCESSES + 2):
        _ring(lea_phone, kim_phone, "300" if n % 2 == 0 else str(kim.extension))
    probe = peer_factory("probe")  # a REGISTER of its own (kim's phone keeps its binding)
    again = directory.register(probe, "kim-sip", kim.sip_password)
    assert (again["code"], again["active"]) == (200, True)


def _ring(caller: PeerProcess, callee: PeerProcess, dialled: str) -> None:
    since = callee.mark()
    call_id = caller.call(f"sip:{dialled}@{DEFAULT_DOMAIN}")
    callee.wait_incoming(since=since)
    caller.command("hangup", call_id=call_id)
    caller.wait_call_state(call_id, "DISCONNECTED")


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_kamailio_reads_the_sqlite_file_while_a_writer_holds_it(
    db_url: str, directory: DirectoryRig, peer_factory: Any
) -> None:
    """The server's file is in WAL mode: a write transaction that is slow to commit (a batch
    import, a migration) does not stop Kamailio's readers."""
    group = directory.api.group("Night", extension=300, call_order="simultaneous")
    kim = directory.agent("kim", "kim-sip", group_id=group["id"], extension=201)
    directory.agent("lea", "lea-sip", extension=202)
    kim_phone = directory.phone("kim")
    lea_phone = directory.phone("lea")
    directory.report("kim", "ready")

    path = db_url.removeprefix("sqlite:///")
    writer = sqlite3.connect(path, isolation_level=None, timeout=5)
    try:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("UPDATE sip_settings SET value = value")  # holds the write lock
        again = directory.register(peer_factory("probe"), "kim-sip", kim.sip_password)
        assert (again["code"], again["active"]) == (200, True)
        since = kim_phone.mark()
        call_id = lea_phone.call(f"sip:300@{DEFAULT_DOMAIN}")
        kim_phone.wait_incoming(since=since)
        lea_phone.command("hangup", call_id=call_id)
        lea_phone.wait_call_state(call_id, "DISCONNECTED")
    finally:
        writer.execute("ROLLBACK")
        writer.close()
