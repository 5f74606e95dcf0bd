"""Changing an agent's password, disabling or deleting it revokes every credential it holds:
sessions and the delivery token (SQLite and PostgreSQL); the revocation notice stays small
however many sessions the agent has, and expired sessions are pruned."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from sqlalchemy import func, select, update

from communicator.provisioning.server import db as db_mod
from communicator.provisioning.server.changes import Change
from communicator.provisioning.server.config import ServerConfig
from communicator.provisioning.server.models import DeliveryToken, SignInSession, utcnow
from communicator.provisioning.server.security import new_token, token_digest
from communicator.provisioning.server.services import sessions

from .conftest import Api

NOW = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)


def call_log() -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "direction": "outbound",
        "remote": "+48221234567",
        "started_at": NOW.isoformat(),
        "duration_s": 1.0,
    }


def post_log(api: Api, token: str) -> int:
    resp = api.c.post("/api/v1/call-logs", json={"logs": [call_log()]}, headers=api.bearer(token))
    return resp.status_code


def revoke(api: Api, agent_id: int, how: str) -> None:
    if how == "password":
        body: dict[str, Any] = {"password": "another horse"}
        api.ok(api.c.patch(f"/api/v1/admin/agents/{agent_id}", json=body, headers=api.h))
    elif how == "disable":
        body = {"active": False}
        api.ok(api.c.patch(f"/api/v1/admin/agents/{agent_id}", json=body, headers=api.h))
    else:
        api.ok(api.c.delete(f"/api/v1/admin/agents/{agent_id}", headers=api.h), 204)


@pytest.mark.parametrize("how", ["password", "disable", "delete"])
def test_revoking_an_agent_revokes_its_delivery_token(api: Api, how: str) -> None:
    agent = api.agent("anna")
    api.account(agent["id"])
    signed = api.sign_in("anna")
    delivery = signed["delivery_token"]
    assert post_log(api, delivery) == 200  # the server now knows (and caches) the token
    revoke(api, agent["id"], how)
    assert post_log(api, delivery) == 401
    assert post_log(api, signed["token"]) == 401


def test_sign_out_keeps_the_delivery_token(api: Api) -> None:
    """Signing out is not a revocation: the session's logs may still be delivered later."""
    agent = api.agent("bert")
    api.account(agent["id"])
    signed = api.sign_in("bert")
    api.ok(api.c.delete("/api/v1/sessions/current", headers=api.bearer(signed["token"])), 204)
    assert post_log(api, signed["delivery_token"]) == 200


def add_sessions(config: ServerConfig, agent_id: int, n: int, *, expired: bool = False) -> None:
    """Sessions as ~n sign-ins without sign-out leave them (faster than n argon2 checks)."""
    engine = db_mod.make_engine(config.db_url, pool_size=1)
    try:
        with db_mod.make_sessionmaker(engine)() as s:
            now = utcnow()
            expires = now - dt.timedelta(hours=1) if expired else now + dt.timedelta(hours=12)
            for _ in range(n):
                s.add(
                    SignInSession(
                        token_hash=token_digest(new_token("cs")),
                        agent_id=agent_id,
                        expires_at=expires,
                    )
                )
                if expired:
                    s.add(
                        DeliveryToken(
                            token_hash=token_digest(new_token("cd")),
                            agent_id=agent_id,
                            expires_at=expires,
                        )
                    )
            s.commit()
    finally:
        engine.dispose()


def count_rows(config: ServerConfig, agent_id: int) -> tuple[int, int]:
    engine = db_mod.make_engine(config.db_url, pool_size=1)
    try:
        with db_mod.make_sessionmaker(engine)() as s:
            sessions = s.scalar(select(func.count()).where(SignInSession.agent_id == agent_id))
            tokens = s.scalar(select(func.count()).where(DeliveryToken.agent_id == agent_id))
            return int(sessions or 0), int(tokens or 0)
    finally:
        engine.dispose()


@pytest.mark.parametrize("how", ["password", "disable", "delete"])
def test_revocation_with_thousands_of_sessions(api: Api, config: ServerConfig, how: str) -> None:
    """On PostgreSQL the notice once listed every session: ~1,700 made it too long (500)."""
    agent = api.agent("cleo")
    api.account(agent["id"])
    signed = api.sign_in("cleo")
    add_sessions(config, agent["id"], 2500)
    me = api.c.get("/api/v1/profile", headers=api.bearer(signed["token"]))
    assert me.status_code == 200
    revoke(api, agent["id"], how)
    assert api.c.get("/api/v1/profile", headers=api.bearer(signed["token"])).status_code == 401
    assert post_log(api, signed["delivery_token"]) == 401


def test_expired_sessions_are_pruned(api: Api, config: ServerConfig) -> None:
    agent = api.agent("dora")
    api.account(agent["id"])
    add_sessions(config, agent["id"], 50, expired=True)
    assert count_rows(config, agent["id"]) == (50, 50)
    signed = api.sign_in("dora")
    assert count_rows(config, agent["id"]) == (1, 1)  # only the new session and its token
    assert api.c.get("/api/v1/profile", headers=api.bearer(signed["token"])).status_code == 200


def test_sign_in_prunes_once_dead_rows_add_up(api: Api, config: ServerConfig) -> None:
    """A sign-in skips the prune while the agent has fewer than PRUNE_AT sessions, so the
    few dead rows stay; the sign-in that finds PRUNE_AT prunes them all."""
    agent = api.agent("fred")
    api.account(agent["id"])
    add_sessions(config, agent["id"], sessions.PRUNE_AT - 1, expired=True)
    first = api.sign_in("fred")
    assert count_rows(config, agent["id"]) == (sessions.PRUNE_AT, sessions.PRUNE_AT)
    second = api.sign_in("fred")
    assert count_rows(config, agent["id"]) == (2, 2)  # the two live sessions and tokens
    for signed in (first, second):
        assert api.c.get("/api/v1/profile", headers=api.bearer(signed["token"])).status_code == 200


def test_change_notice_stays_small() -> None:
    """Whatever a change names, its notice fits PostgreSQL's NOTIFY (under 8,000 bytes) and
    still tells every process what to drop."""
    many = frozenset(range(1_000_000_000, 1_000_003_000))
    for change in (
        Change(sessions_revoked=many),
        Change(signed_out=many),
        Change(agents=frozenset(range(1_000_000_000, 1_000_000_499)), sessions_revoked=many),
        Change(
            agents=frozenset(range(1_000_000_000, 1_000_000_499)),
            signed_out=frozenset(range(1_000_000_000, 1_000_000_499)),
            sessions_revoked=frozenset(range(1_000_000_000, 1_000_000_499)),
        ),
    ):
        text = change.to_json("origin")
        assert len(text.encode()) < 8000
        _origin, back = Change.from_json(text)
        assert back.recheck_credentials or (
            back.signed_out == change.signed_out
            and back.sessions_revoked == change.sessions_revoked
        )


def test_dead_rows_of_agents_who_never_return_are_pruned(api: Api, config: ServerConfig) -> None:
    """The server's periodic prune: agents that never sign in again leave no dead rows."""
    agent = api.agent("emil")
    api.account(agent["id"])
    live = api.sign_in("emil")
    add_sessions(config, agent["id"], 30, expired=True)
    assert count_rows(config, agent["id"]) == (31, 31)
    engine = db_mod.make_engine(config.db_url, pool_size=1)
    try:
        with db_mod.make_sessionmaker(engine)() as s:
            s.execute(
                update(SignInSession)
                .where(SignInSession.expires_at < utcnow())
                .values(expires_at=utcnow() - dt.timedelta(hours=2))
            )
            s.execute(
                update(DeliveryToken)
                .where(DeliveryToken.expires_at < utcnow())
                .values(expires_at=utcnow() - dt.timedelta(hours=2))
            )
            assert sessions.prune_all_expired(s) == 30
            s.commit()
    finally:
        engine.dispose()
    assert count_rows(config, agent["id"]) == (1, 1)
    assert api.c.get("/api/v1/profile", headers=api.bearer(live["token"])).status_code == 200
