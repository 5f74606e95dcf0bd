"""The admin API: CRUD, bulk delete, CSV import/export, PBX exports; migrations."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from fastapi.testclient import TestClient

from communicator.provisioning.server import db as db_mod
from communicator.provisioning.server.api import create_app
from communicator.provisioning.server.config import ServerConfig
from communicator.provisioning.server.exports import KAMAILIO_HEADER
from communicator.provisioning.server.models import Base

from .conftest import Api, admin_token, make_config


def test_admin_endpoints_need_an_admin_token(api: Api) -> None:
    for headers in ({}, {"Authorization": "Bearer adm_wrong"}, {"Authorization": "Bearer x"}):
        resp = api.c.get("/api/v1/admin/agents", headers=headers)
        assert resp.status_code == 401
        assert resp.json()["error"] == "unauthorized"


def test_agent_and_group_crud(api: Api) -> None:
    g = api.group(
        "Managers",
        extension=250,
        email="test@test.com",
        call_order="simultaneous",
        average_call_duration_s=60,
        max_queue_size=99,
    )
    assert g["members"] == [] and g["call_order"] == "simultaneous"
    a = api.agent("mary", group_id=g["id"], email="mary@x.org", permission_level=50)
    assert a["group"] == "Managers" and a["permission_level"] == 50 and a["active"]
    assert "password" not in a and "password_hash" not in a
    assert api.ok(api.c.get(f"/api/v1/admin/groups/{g['id']}", headers=api.h))["members"] == [
        a["id"]
    ]
    dup = api.c.post(
        "/api/v1/admin/agents", json={"login": "mary", "password": "12345678"}, headers=api.h
    )
    assert dup.status_code == 409
    bad_level = api.c.patch(
        f"/api/v1/admin/agents/{a['id']}", json={"permission_level": 101}, headers=api.h
    )
    assert bad_level.status_code == 422
    renamed = api.ok(
        api.c.patch(
            f"/api/v1/admin/groups/{g['id']}", json={"call_order": "least_busy"}, headers=api.h
        )
    )
    assert renamed["call_order"] == "least_busy"
    # Password change: the new password works, the old one does not.
    api.ok(
        api.c.patch(
            f"/api/v1/admin/agents/{a['id']}", json={"password": "new password"}, headers=api.h
        )
    )
    api.account(a["id"])
    assert api.sign_in("mary", "new password")["token"]
    old = api.c.post("/api/v1/sessions", json={"login": "mary", "password": "correct horse"})
    assert old.status_code == 401

    assert api.c.delete(f"/api/v1/admin/groups/{g['id']}", headers=api.h).status_code == 204
    assert api.ok(api.c.get(f"/api/v1/admin/agents/{a['id']}", headers=api.h))["group"] is None
    assert api.c.get(f"/api/v1/admin/groups/{g['id']}", headers=api.h).status_code == 404
    lst = api.ok(api.c.get("/api/v1/admin/agents", headers=api.h))
    assert [x["login"] for x in lst] == ["mary"]
    assert api.c.delete(f"/api/v1/admin/agents/{a['id']}", headers=api.h).status_code == 204
    assert api.c.delete(f"/api/v1/admin/agents/{a['id']}", headers=api.h).status_code == 404


def test_group_membership_is_set_in_one_call(api: Api) -> None:
    a, b, c = (api.agent(x) for x in ("m1", "m2", "m3"))
    g = api.group("Analyst", extension=152, members=[a["id"], b["id"]])
    assert sorted(g["members"]) == [a["id"], b["id"]]
    g = api.ok(
        api.c.patch(
            f"/api/v1/admin/groups/{g['id']}", json={"members": [b["id"], c["id"]]}, headers=api.h
        )
    )
    assert sorted(g["members"]) == [b["id"], c["id"]]
    assert api.ok(api.c.get(f"/api/v1/admin/agents/{a['id']}", headers=api.h))["group"] is None
    bad = api.c.patch(f"/api/v1/admin/groups/{g['id']}", json={"members": [9999]}, headers=api.h)
    assert bad.status_code == 404 and "9999" in bad.json()["message"]


def test_account_list_columns_and_bulk_delete(api: Api) -> None:
    g = api.group("Tech support")
    a = api.agent("scott", group_id=g["id"], display_name="Scott")
    acc = api.account(a["id"], phone_number="+420 234 261 998")
    pool = api.account()
    rows = api.ok(api.c.get("/api/v1/admin/accounts", headers=api.h))
    assert rows[0]["agent"] == "Scott" and rows[0]["group"] == "Tech support"
    assert rows[0]["phone_number"] == "+420 234 261 998" and rows[0]["pool"] is False
    assert rows[1]["agent"] is None and rows[1]["pool"] is True
    detail = api.ok(api.c.get(f"/api/v1/admin/accounts/{acc['id']}", headers=api.h))
    assert "sip_password" not in detail and "sip_password_enc" not in detail
    assert detail["sip_port"] == 5060 and detail["stun_port"] == 3478
    taken = api.c.post(
        "/api/v1/admin/accounts",
        json={"sip_username": "x", "sip_password": "p", "sip_server": "h", "agent_id": a["id"]},
        headers=api.h,
    )
    assert taken.status_code == 409
    res = api.ok(
        api.c.post(
            "/api/v1/admin/accounts/bulk-delete",
            json={"ids": [acc["id"], pool["id"], 4242]},
            headers=api.h,
        )
    )
    assert res == {"deleted": [acc["id"], pool["id"]], "missing": [4242]}
    assert api.ok(api.c.get("/api/v1/admin/accounts", headers=api.h)) == []
    agents = api.ok(
        api.c.post("/api/v1/admin/agents/bulk-delete", json={"ids": [a["id"]]}, headers=api.h)
    )
    assert agents["deleted"] == [a["id"]]


def test_csv_export_import_round_trip(
    api: Api, db_url: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    g = api.group("Sales")
    a = api.agent("olga", group_id=g["id"])
    api.account(
        a["id"],
        sip_password='pa:ss,wo"rd',
        codecs=["opus", "PCMA"],
        transports=["tls", "udp"],
        phone_number="+48 22 123",
        country_code="48",
        caller_id="Olga, Sales",
        pbx_nat="comedia",
        call_group="1,3-5",
        forwarding={"busy": {"enabled": True, "target": "200"}},
    )
    api.account(extension=420, record_calls=True, record_format="gsm", srtp="optional")
    exported = api.c.get(
        "/api/v1/admin/accounts/export.csv", params={"include_passwords": "true"}, headers=api.h
    )
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    text = exported.text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows[0]["agent"] == "olga" and rows[0]["group"] == "Sales"
    assert rows[0]["sip_password"] == 'pa:ss,wo"rd'
    no_pw = api.c.get("/api/v1/admin/accounts/export.csv", headers=api.h).text
    assert 'pa:ss,wo"rd' not in no_pw

    # Import into a fresh server that knows the same agent: the export comes back unchanged.
    other = tmp_path / "other"
    other.mkdir()
    if db_url.startswith("sqlite"):
        url = f"sqlite:///{other / 'db.sqlite3'}"
    else:
        url = request.getfixturevalue("pg_cluster").new_database()
    cfg2 = make_config(url, other)
    with TestClient(create_app(cfg2)) as c2:
        api2 = Api(c2, admin_token(cfg2))
        api2.group("Sales")
        api2.agent("olga", group_id=1)
        res = api2.ok(
            c2.post(
                "/api/v1/admin/accounts/import",
                content=text.encode(),
                headers={**api2.h, "Content-Type": "text/csv"},
            )
        )
        assert res == {"created": 2, "updated": 0}
        again = c2.get(
            "/api/v1/admin/accounts/export.csv",
            params={"include_passwords": "true"},
            headers=api2.h,
        ).text
        assert again == text
        res = api2.ok(
            c2.post(
                "/api/v1/admin/accounts/import",
                content=text.encode(),
                headers={**api2.h, "Content-Type": "text/csv"},
            )
        )
        assert res == {"created": 0, "updated": 2}
        broken = text.replace("comedia", "sometimes")
        bad = c2.post(
            "/api/v1/admin/accounts/import",
            content=broken.encode(),
            headers={**api2.h, "Content-Type": "text/csv"},
        )
        assert bad.status_code == 422
        assert bad.json()["problems"][0]["line"] == 2
        assert "pbx_nat" in bad.json()["problems"][0]["field"]
        no_header = c2.post("/api/v1/admin/accounts/import", content=b"a,b\n1,2\n", headers=api2.h)
        assert no_header.status_code == 422


def test_kamailio_and_asterisk_exports(api: Api) -> None:
    a = api.agent("pat", display_name="Pat Doe", permission_level=70)
    api.account(
        a["id"],
        sip_username="pat",
        sip_password="se:cr\\et",
        sip_domain="pbx.example.com",
        codecs=["ulaw", "alaw", "g722", "gsm", "opus", "g729"],
        transports=["tcp"],
        pbx_nat="yes",
        context="agents",
        call_group="1",
        pickup_group="1-2",
        srtp="mandatory",
    )
    api.account(sip_username="ws1", equipment_type="static_ip", workstation_ip="10.1.2.3")
    kam = api.c.get("/api/v1/admin/exports/kamailio", headers=api.h)
    assert kam.status_code == 200
    lines = kam.text.splitlines()
    assert lines[0] == KAMAILIO_HEADER
    assert lines[1].startswith("1:pat:pbx.example.com:se\\:cr\\\\et:")
    assert len(lines) == 2  # static-IP equipment does not register
    sql = api.c.get("/api/v1/admin/exports/kamailio", params={"format": "sql"}, headers=api.h)
    assert "VALUES ('pat', 'pbx.example.com', ''," in sql.text  # ha1/ha1b, no password
    assert "se:cr" not in sql.text
    ast = api.c.get("/api/v1/admin/exports/asterisk", headers=api.h).text
    section = ast.split("[pat]\ntype=endpoint\n", 1)[1].split("\n\n", 1)[0]
    for line in (
        "context=agents",
        "allow=ulaw,alaw,g722,gsm,opus,g729",
        "transport=transport-tcp",
        'callerid="Pat Doe" <100>',
        "call_group=1",
        "pickup_group=1-2",
        "direct_media=no",
        "rtp_symmetric=yes",
        "force_rport=yes",
        "rewrite_contact=yes",
        "media_encryption=sdes",
        "set_var=PERMISSION_LEVEL=70",
        "auth=pat-auth",
    ):
        assert line in section.splitlines(), line
    assert "[pat-auth]\ntype=auth\nauth_type=userpass\nusername=pat\npassword=se:cr\\et" in ast
    assert "[pat]\ntype=aor\nmax_contacts=1" in ast
    assert "[ws1-identify]\ntype=identify\nendpoint=ws1\nmatch=10.1.2.3" in ast


def test_migrations_match_the_models(config: ServerConfig) -> None:
    engine = db_mod.make_engine(config.db_url, pool_size=1)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn)
            head = ScriptDirectory.from_config(db_mod.alembic_config(engine)).get_current_head()
            assert ctx.get_current_revision() == head
            diff = compare_metadata(ctx, Base.metadata)
        assert diff == []
    finally:
        engine.dispose()
