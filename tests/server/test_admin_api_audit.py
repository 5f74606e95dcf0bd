"""The JSON admin API's changes reach the audit history (seed 001 "History") as the console's
do: who (the admin token's name), what, the old and new values; never a secret."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

from communicator.provisioning.server import db as db_mod
from communicator.provisioning.server.config import ServerConfig
from communicator.provisioning.server.services import audit

from .conftest import Api

SECRETS = ("correct horse", "new password 1", "pw-1-secret", "rotated-secret", "csv-secret-9")


def history(config: ServerConfig) -> list[dict[str, Any]]:
    engine = db_mod.make_engine(config.db_url, pool_size=1)
    try:
        with db_mod.make_sessionmaker(engine)() as s:
            page = audit.entries(s, limit=1000)
            return [
                {
                    "admin": e.admin,
                    "action": e.action,
                    "object_type": e.object_type,
                    "object_id": e.object_id,
                    "label": e.object_label,
                    "changes": e.changes,
                }
                for e in reversed(page.entries)
            ]
    finally:
        engine.dispose()


def test_every_admin_api_change_is_audited_with_the_token_name_and_no_secret(
    api: Api, config: ServerConfig
) -> None:
    h = api.h
    group = api.group("Support", max_queue_size=5)
    agent = api.agent("pat", group_id=group["id"])
    account = api.account(agent["id"], phone_number="+1 555 0100")
    api.ok(
        api.c.patch(
            f"/api/v1/admin/agents/{agent['id']}",
            json={"permission_level": 40, "password": "new password 1"},
            headers=h,
        )
    )
    api.ok(
        api.c.patch(
            f"/api/v1/admin/accounts/{account['id']}",
            json={"sip_password": "rotated-secret", "max_lines": 4},
            headers=h,
        )
    )
    api.ok(
        api.c.patch(f"/api/v1/admin/groups/{group['id']}", json={"max_queue_size": 7}, headers=h)
    )
    exported = api.c.get("/api/v1/admin/accounts/export.csv?include_passwords=true", headers=h)
    assert "rotated-secret" in exported.text
    csv_text = "sip_username,sip_password,sip_server\r\nimported-1,csv-secret-9,10.0.0.1\r\n"
    api.ok(
        api.c.post(
            "/api/v1/admin/accounts/import",
            content=csv_text,
            headers={**h, "Content-Type": "text/csv"},
        )
    )
    api.ok(api.c.delete(f"/api/v1/admin/agents/{agent['id']}", headers=h), 204)
    api.ok(api.c.delete(f"/api/v1/admin/groups/{group['id']}", headers=h), 204)
    api.ok(
        api.c.post("/api/v1/admin/accounts/bulk-delete", json={"ids": [account["id"]]}, headers=h)
    )

    entries = history(config)
    assert {e["admin"] for e in entries} == {"tests (API token 1)"}
    steps = [(e["action"], e["object_type"]) for e in entries]
    assert steps == [
        ("create", "group"),
        ("create", "agent"),
        ("create", "voip_account"),
        ("update", "agent"),
        ("update", "voip_account"),
        ("update", "group"),
        ("export", "voip_account"),
        ("create", "voip_account"),
        ("delete", "agent"),
        ("delete", "group"),
        ("delete", "voip_account"),
    ]
    agent_update = entries[3]["changes"]
    assert agent_update["permission_level"] == [10, 40]
    assert agent_update["password"] == [audit.HIDDEN, audit.CHANGED]
    account_update = entries[4]["changes"]
    assert account_update["max_lines"][1] == 4
    assert account_update["sip_password"] == [audit.HIDDEN, audit.CHANGED]
    assert entries[5]["changes"] == {"max_queue_size": [5, 7]}
    assert entries[7]["label"].endswith("imported-1")
    assert entries[7]["changes"]["sip_password"] == [audit.HIDDEN, audit.CHANGED]
    dumped = json.dumps(entries)
    for secret in SECRETS:
        assert secret not in dumped


@contextmanager
def admin_token_reads() -> Iterator[list[str]]:
    """The SQL statements that read the admin tokens table while the block runs."""
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        if "admin_tokens" in statement:
            seen.append(statement)

    event.listen(Engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", note)


def test_an_admin_change_looks_its_token_up_once(api: Api, config: ServerConfig) -> None:
    """The token check finds who the token is; the audit entry uses that (no second lookup),
    and the next request is served from the server's token cache."""
    with admin_token_reads() as reads:
        api.group("Support")
        assert len(reads) == 1
        api.group("Sales")
        assert len(reads) == 1
    assert {e["admin"] for e in history(config)} == {"tests (API token 1)"}


def test_a_refused_change_leaves_no_audit_entry(api: Api, config: ServerConfig) -> None:
    api.agent("pat")
    before = len(history(config))
    body = {"login": "pat", "password": "another password"}
    resp = api.c.post("/api/v1/admin/agents", json=body, headers=api.h)
    assert resp.status_code == 409
    resp = api.c.patch("/api/v1/admin/groups/999", json={"max_queue_size": 3}, headers=api.h)
    assert resp.status_code == 404
    assert len(history(config)) == before


def test_a_refused_accounts_import_keeps_none_of_its_rows(api: Api, config: ServerConfig) -> None:
    """The first row of a refused file is not kept (on SQLite a savepoint opened before any
    write of the transaction would have committed it) and nothing is audited."""
    csv_text = (
        "sip_username,sip_password,sip_server\r\n"
        "first,pw-1,10.0.0.1\r\n"
        "second,pw-2,bad server name!\r\n"
    )
    resp = api.c.post(
        "/api/v1/admin/accounts/import",
        content=csv_text,
        headers={**api.h, "Content-Type": "text/csv"},
    )
    assert resp.status_code == 422
    assert resp.json()["problems"][0]["line"] == 3
    assert api.ok(api.c.get("/api/v1/admin/accounts", headers=api.h)) == []
    assert history(config) == []
