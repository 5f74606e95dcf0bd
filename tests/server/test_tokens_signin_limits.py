"""Guessing passwords is limited without handing outsiders a lockout: failed sign-ins count per
agent and address (and per address), in the database, so every server process sees the same
counts; the agent signing in from its own workstation is never locked out by a stranger."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from communicator.provisioning.server.api import create_app
from communicator.provisioning.server.config import ServerConfig
from communicator.provisioning.server.ratelimit import HashQueue

from .conftest import Api, admin_token, make_config

OUTSIDER = ("203.0.113.9", 40000)
WORKSTATION = ("198.51.100.7", 40001)


@pytest.fixture
def limited(db_url: str, tmp_path: Path) -> ServerConfig:
    return make_config(
        db_url,
        tmp_path,
        signin_burst_per_agent=5,
        signin_rate_per_agent=0.001,
        signin_burst_per_address=20,
        signin_rate_per_address=0.001,
    )


@pytest.fixture
def two_servers(limited: ServerConfig) -> Iterator[tuple[TestClient, TestClient, Api]]:
    """Two server instances on one database (as two processes would be)."""
    one, two = create_app(limited, migrate=False), create_app(limited, migrate=False)
    with TestClient(one, client=OUTSIDER) as c1, TestClient(two, client=OUTSIDER) as c2:
        api = Api(c1, admin_token(limited))
        agent = api.agent("anna")
        api.account(agent["id"])
        yield c1, c2, api


def guess(client: TestClient, login: str = "anna") -> int:
    resp = client.post("/api/v1/sessions", json={"login": login, "password": "wrong guess"})
    return resp.status_code


def test_an_outsider_cannot_lock_the_agent_out(
    two_servers: tuple[TestClient, TestClient, Api],
) -> None:
    c1, _c2, _api = two_servers
    codes = [guess(c1) for _ in range(12)]
    assert codes[:5] == [401] * 5
    assert set(codes[5:]) == {429}
    own = TestClient(c1.app, client=WORKSTATION)
    resp = own.post("/api/v1/sessions", json={"login": "anna", "password": "correct horse"})
    assert resp.status_code == 201, resp.text


def test_the_limit_holds_across_processes(
    two_servers: tuple[TestClient, TestClient, Api],
) -> None:
    c1, c2, _api = two_servers
    assert [guess(c1) for _ in range(5)] == [401] * 5
    assert guess(c2) == 429  # the other process counts the same failures
    resp = c2.post("/api/v1/sessions", json={"login": "anna", "password": "wrong guess"})
    assert int(resp.headers["retry-after"]) >= 1


def test_guessing_many_agents_from_one_address_is_limited(
    two_servers: tuple[TestClient, TestClient, Api],
) -> None:
    c1, c2, api = two_servers
    for n in range(10):
        api.agent(f"agent{n}")
    codes = [guess(c, f"agent{n}") for n in range(10) for c in (c1, c2)]
    assert codes == [401] * 20
    assert guess(c1, "agent0") == 429
    assert guess(c2, "nobody") == 429
    own = TestClient(c1.app, client=WORKSTATION)
    resp = own.post("/api/v1/sessions", json={"login": "anna", "password": "correct horse"})
    assert resp.status_code == 201, resp.text


def test_successful_sign_ins_are_not_counted(limited: ServerConfig) -> None:
    with TestClient(create_app(limited, migrate=False), client=WORKSTATION) as client:
        api = Api(client, admin_token(limited))
        agent = api.agent("bert")
        api.account(agent["id"])
        for _ in range(8):
            api.sign_in("bert")


def test_password_checks_queue_per_address() -> None:
    """A flood from one address waits its own turn (2 at once here) and is refused past its
    queue; another address gets a turn at once."""

    async def scenario() -> None:
        queue = HashQueue(per_key=2, max_waiting=1)
        assert await queue.enter("flood")
        assert await queue.enter("flood")
        third = asyncio.ensure_future(queue.enter("flood"))
        await asyncio.sleep(0)  # one pass of the loop: the third task queues up (no timing)
        refused = await asyncio.wait_for(queue.enter("flood"), 5)
        assert refused is False
        assert not third.done()
        assert await asyncio.wait_for(queue.enter("agent"), 5)  # never behind the flood
        queue.leave("agent")
        queue.leave("flood")
        assert await asyncio.wait_for(third, 5)
        for _ in range(2):
            queue.leave("flood")
        assert await asyncio.wait_for(queue.enter("flood"), 5)  # all turns given back

    asyncio.run(scenario())
