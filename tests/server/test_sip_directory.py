"""What Kamailio reads (issue 18): the sip_* views follow every change the server commits,
on SQLite and PostgreSQL. The rig tests (tests/routing) run a real Kamailio on them."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from communicator.provisioning.server import db as db_mod
from communicator.provisioning.server.cli import main
from communicator.provisioning.server.config import ServerConfig
from communicator.provisioning.server.security import SecretBox
from communicator.provisioning.server.sip_directory import (
    group_label,
    kamailio_db_url,
    prepare,
    write_settings,
)

from .conftest import Api

DOMAIN = "sip.test.invalid"
READY: dict[str, Any] = {"state": "ready", "registration": {"registered": True}}


@pytest.fixture
def engine(config: ServerConfig) -> Iterator[Engine]:
    eng = db_mod.make_engine(config.db_url, pool_size=1)
    yield eng
    eng.dispose()


def rows(engine: Engine, sql: str, **params: Any) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(text(sql), params)]


def ha1(user: str, password: str) -> str:
    return hashlib.md5(f"{user}:{DOMAIN}:{password}".encode()).hexdigest()


def subscriber(engine: Engine, user: str) -> dict[str, Any] | None:
    found = rows(engine, "SELECT * FROM sip_subscribers WHERE username = :u", u=user)
    return found[0] if found else None


def test_subscribers_follow_passwords_names_and_deletions(api: Api, engine: Engine) -> None:
    agent = api.agent("kim")
    acc = api.account(
        agent["id"], sip_username="kim-sip", sip_password="first-pw", sip_domain=DOMAIN
    )
    row = subscriber(engine, "kim-sip")
    assert row is not None
    assert (row["domain"], row["password"], row["ha1"]) == (DOMAIN, "", ha1("kim-sip", "first-pw"))
    assert row["caller_number"] == str(acc["extension"])

    url = f"/api/v1/admin/accounts/{acc['id']}"
    api.ok(
        api.c.patch(
            url, json={"sip_password": "second-pw", "phone_number": "+49 (30) 12-3"}, headers=api.h
        )
    )
    row = subscriber(engine, "kim-sip")
    assert row is not None
    assert (row["ha1"], row["caller_number"]) == (ha1("kim-sip", "second-pw"), "+4930123")

    api.ok(api.c.patch(url, json={"sip_username": "kim-2"}, headers=api.h))
    assert subscriber(engine, "kim-sip") is None
    renamed = subscriber(engine, "kim-2")
    assert renamed is not None and renamed["ha1"] == ha1("kim-2", "second-pw")
    assert rows(engine, "SELECT alias_username, username FROM sip_aliases") == [
        {"alias_username": str(acc["extension"]), "username": "kim-2"}
    ]

    api.ok(api.c.patch(url, json={"active": False}, headers=api.h))
    assert subscriber(engine, "kim-2") is None
    api.ok(api.c.patch(url, json={"active": True}, headers=api.h))
    api.ok(api.c.delete(url, headers=api.h), 204)
    assert subscriber(engine, "kim-2") is None


def test_disabling_an_agent_and_releasing_a_number_change_the_hash(
    api: Api, engine: Engine
) -> None:
    agent = api.agent("kim")
    api.account(agent["id"], sip_username="kim-sip", sip_password="first-pw", sip_domain=DOMAIN)
    api.ok(
        api.c.patch(f"/api/v1/admin/agents/{agent['id']}", json={"active": False}, headers=api.h)
    )
    row = subscriber(engine, "kim-sip")
    assert row is not None and row["ha1"] != ha1("kim-sip", "first-pw")

    api.agent("pia")
    pool = api.account(None, sip_username="pool-sip", sip_password="pool-pw", sip_domain=DOMAIN)
    token = api.sign_in("pia")["token"]
    seen = api.ok(api.c.get("/api/v1/profile", headers=api.bearer(token)))["sip"]["password"]
    row = subscriber(engine, "pool-sip")
    assert row is not None and row["ha1"] == ha1("pool-sip", seen)
    api.ok(api.c.post(f"/api/v1/admin/accounts/{pool['id']}/release", headers=api.h))
    row = subscriber(engine, "pool-sip")
    assert row is not None and row["ha1"] != ha1("pool-sip", seen)


def _targets(engine: Engine) -> dict[str, int]:
    return {
        r["username"]: r["available"]
        for r in rows(engine, "SELECT username, available FROM sip_group_targets")
    }


def test_group_targets_follow_states_call_waiting_and_silence(
    api: Api, engine: Engine, config: ServerConfig
) -> None:
    group = api.group("Sales & Co", extension=300, call_order="in_order")
    tokens = {}
    for n in (1, 2, 3):
        agent = api.agent(f"a{n}", group_id=group["id"])
        api.account(agent["id"], sip_username=f"a{n}-sip", sip_domain=DOMAIN)
        tokens[f"a{n}"] = api.sign_in(f"a{n}")["token"]

    def report(login: str, state: str) -> None:
        body = {**READY, "state": state}
        api.ok(api.c.put("/api/v1/agent/status", json=body, headers=api.bearer(tokens[login])))

    assert _targets(engine) == {}  # nobody reported yet: signed out
    report("a1", "ready")
    report("a2", "on_call")
    report("a3", "wrap_up")
    assert _targets(engine) == {"a1-sip": 1, "a2-sip": 0, "a3-sip": 0}
    gurl = f"/api/v1/admin/groups/{group['id']}"
    api.ok(api.c.patch(gurl, json={"call_waiting": True}, headers=api.h))
    assert _targets(engine) == {"a1-sip": 1, "a2-sip": 1, "a3-sip": 0}

    # A client that stopped reporting counts as signed out after agent_stale_s.
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE agent_status SET reported_at = :t WHERE agent_id = :a"),
            {"t": dt.datetime.now(dt.UTC) - dt.timedelta(seconds=100), "a": 1},
        )
    assert _targets(engine)["a1-sip"] == 1  # the default: 150 s
    with db_mod.make_sessionmaker(engine)() as s:
        write_settings(
            s, ServerConfig.create(db=config.db_url, data_dir=config.data_dir, agent_stale_s=60)
        )
        s.commit()
    assert _targets(engine)["a1-sip"] == 0

    # The member list's order is the in_order position; the label is the encoded name.
    members = list(reversed(api.ok(api.c.get(gurl, headers=api.h))["members"]))
    api.ok(api.c.patch(gurl, json={"members": members}, headers=api.h))
    order = rows(
        engine,
        "SELECT username FROM sip_group_targets ORDER BY position, agent_id",
    )
    assert [r["username"] for r in order] == ["a3-sip", "a2-sip", "a1-sip"]
    assert rows(engine, "SELECT label, call_order FROM sip_groups") == [
        {"label": "Sales%20%26%20Co", "call_order": "in_order"}
    ]


def test_group_fields_are_validated(api: Api) -> None:
    group = api.group("Sales", extension=300)
    url = f"/api/v1/admin/groups/{group['id']}"
    for bad in (
        {"ring_time_s": 1},
        {"call_order": "sometimes"},
        {"overflow_number": "12 34"},
        {"overflow_group_id": group["id"]},
    ):
        assert api.c.patch(url, json=bad, headers=api.h).status_code == 422, bad
    assert api.c.patch(url, json={"overflow_group_id": 999}, headers=api.h).status_code == 404
    other = api.group("Backup", extension=301)
    out = api.ok(
        api.c.patch(
            url,
            json={"overflow_group_id": other["id"], "ring_time_s": 15, "call_waiting": True},
            headers=api.h,
        )
    )
    assert (out["overflow_group_id"], out["ring_time_s"], out["call_waiting"]) == (
        other["id"],
        15,
        True,
    )


def test_labels_and_kamailio_urls() -> None:
    assert group_label("Support Ü/1") == "Support%20%C3%9C%2F1"
    assert group_label("a-b_c.d~e") == "a-b_c.d~e"
    assert kamailio_db_url("sqlite:////var/lib/x.sqlite3") == "sqlite:///var/lib/x.sqlite3"
    assert kamailio_db_url("postgresql+psycopg://u:p@h:5/db") == "postgres://u:p@h:5/db"
    with pytest.raises(ValueError):
        kamailio_db_url("mysql://u@h/db")


def test_a_hot_desk_member_is_rung_at_the_desk_phone_it_chose(api: Api, engine: Engine) -> None:
    group = api.group("Desk", extension=300)
    api.agent("hd", hot_desk=True, group_id=group["id"])
    desk = api.account(None, sip_username="desk-sip", pool=False, sip_domain=DOMAIN)
    api.account(None, sip_username="lent-sip", sip_domain=DOMAIN)  # its number at sign-in
    token = api.sign_in("hd")["token"]
    api.ok(
        api.c.put(
            "/api/v1/sessions/current/phone",
            json={"phone_id": desk["id"]},
            headers=api.bearer(token),
        )
    )
    api.ok(api.c.put("/api/v1/agent/status", json=READY, headers=api.bearer(token)))
    # The softphone's number stays too; it does not register while a desk phone is chosen,
    # and Kamailio rings only registered targets.
    assert _targets(engine) == {"desk-sip": 1, "lent-sip": 1}
    api.ok(api.c.delete("/api/v1/sessions/current", headers=api.bearer(token)), 204)
    assert "desk-sip" not in _targets(engine)  # the session ended: the phone is not its own


def test_serve_fills_older_hashes_and_the_cli_prints_the_fragment(
    api: Api,
    engine: Engine,
    db_url: str,
    config: ServerConfig,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    api.account(None, sip_username="old-sip", sip_password="old-pw", sip_domain=DOMAIN)
    with engine.begin() as conn:  # as written before revision 0011
        conn.execute(text("UPDATE voip_accounts SET sip_ha1 = '', sip_ha1b = ''"))
    assert subscriber(engine, "old-sip") is None
    with db_mod.make_sessionmaker(engine, SecretBox.load(config.data_dir))() as s:
        prepare(s, SecretBox.load(config.data_dir), config)
        s.commit()
    row = subscriber(engine, "old-sip")
    assert row is not None and row["ha1"] == ha1("old-sip", "old-pw")

    out = tmp_path / "directory.cfg"
    args = ["--db", db_url, "--data-dir", str(config.data_dir), "-o", str(out)]
    assert main(["export", "kamailio-routing", *args]) == 0
    fragment = out.read_text()
    assert f'"{kamailio_db_url(config.db_url)}"' in fragment
    module = "db_postgres.so" if "postgres" in db_url else "db_sqlite.so"
    assert f'loadmodule "{module}"' in fragment
