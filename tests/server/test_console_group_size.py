"""A group of every agent of a large call center is saved from the console's editor (SQLite
and PostgreSQL): each member is a field of the form, and the form parser's default of 1,000
fields refused a group of about 990 members with a JSON 400 ("Too many fields") in the
admin's browser, though the API takes 10,000 members."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from communicator.provisioning.server import db as db_mod
from communicator.provisioning.server.config import ServerConfig
from communicator.provisioning.server.models import Agent
from communicator.provisioning.server.security import hash_password

from .console_probe import Console, open_console

AGENTS = 1_200


@pytest.fixture
def console(config: ServerConfig) -> Iterator[Console]:
    engine = db_mod.make_engine(config.db_url, pool_size=1)
    try:
        with db_mod.make_sessionmaker(engine)() as s:
            pw_hash = hash_password("long enough pw")  # one hash for all: argon2 is slow
            s.add_all(Agent(login=f"crowd-{i:04d}", password_hash=pw_hash) for i in range(AGENTS))
            s.commit()
    finally:
        engine.dispose()
    with open_console(config) as opened:
        yield opened


def test_a_group_of_1200_members_is_saved(console: Console) -> None:
    agents = console.api.ok(console.c.get("/api/v1/admin/agents", headers=console.api.h))
    ids = [str(a["id"]) for a in agents]
    assert len(ids) == AGENTS
    resp = console.post("/admin/groups/new", {"name": "everyone", "members": ids})
    assert resp.status_code == 303, resp.text[:300]
    groups = console.api.ok(console.c.get("/api/v1/admin/groups", headers=console.api.h))
    assert [len(g["members"]) for g in groups] == [AGENTS]
    group_id = groups[0]["id"]
    resp = console.post(f"/admin/groups/{group_id}", {"name": "everyone", "members": ids[::-1]})
    assert resp.status_code == 303, resp.text[:300]
    group = console.api.ok(console.c.get(f"/api/v1/admin/groups/{group_id}", headers=console.api.h))
    assert [str(m) for m in group["members"]] == ids[::-1]
