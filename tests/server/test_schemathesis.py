"""Property-based fuzzing of the OpenAPI document (schemathesis): no request gets a 5xx."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from .conftest import Api, LiveServer, admin_token, make_config

pytestmark = pytest.mark.slow


class Target:
    def __init__(self, server: LiveServer, api: Api) -> None:
        self.server = server
        self.api = api
        self.agent_token = ""
        self.refresh()

    def refresh(self) -> None:
        self.agent_token = self.api.sign_in("fuzz")["token"]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def target(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Target]:
    """A live server on each database: PostgreSQL refuses values SQLite stores (NUL
    characters, integers past 64 bits), so a run on SQLite alone misses their 500s."""
    tmp = tmp_path_factory.mktemp("fuzz")
    if request.param == "sqlite":
        db = f"sqlite:///{tmp / 'fuzz.sqlite3'}"
    else:
        db = request.getfixturevalue("pg_cluster").new_database()
    server = LiveServer(
        db, tmp, "--signin-burst-per-address", "100000", "--signin-burst-per-agent", "100000"
    ).start()
    try:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            api = Api(client, admin_token(make_config(db, tmp)))
            g = api.group("fuzzers")
            agent = api.agent("fuzz", group_id=g["id"])
            api.account(agent["id"])
            api.account()
            yield Target(server, api)
    finally:
        server.stop()


def test_no_server_errors(target: Target) -> None:
    schema = schemathesis.openapi.from_url(f"{target.server.url}/openapi.json")
    operations = [r.ok() for r in schema.get_all_operations()]  # type: ignore[union-attr]
    # The event stream never ends by itself: it is covered by test_live.py.
    operations = [op for op in operations if op.path != "/api/v1/profile/events"]
    assert len(operations) > 20
    failures: list[str] = []

    def call(case: schemathesis.Case) -> None:
        path = case.operation.path
        admin = path.startswith("/api/v1/admin")
        token = target.api.admin_token if admin else target.agent_token
        response = case.call(
            base_url=target.server.url, headers={"Authorization": f"Bearer {token}"}, timeout=30
        )
        if response.status_code == 401 and not admin:
            target.refresh()  # a fuzzed call may have signed the agent out or deleted it
            response = case.call(
                base_url=target.server.url,
                headers={"Authorization": f"Bearer {target.agent_token}"},
                timeout=30,
            )
        case.validate_response(response, checks=[not_a_server_error])
        if response.status_code >= 400 and response.content:
            body = response.json()
            assert body["error"] and body["message"], body

    for op in operations:

        @given(case=op.as_strategy())
        @settings(
            max_examples=30,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def run(case: schemathesis.Case) -> None:
            call(case)

        try:
            run()
        except Exception as exc:
            failures.append(f"{op.method.upper()} {op.path}: {exc}")
            if "fuzz" not in {
                a["login"]
                for a in target.api.ok(
                    target.api.c.get("/api/v1/admin/agents", headers=target.api.h)
                )
            }:
                break
    assert not failures, "\n\n".join(failures)


def test_openapi_document_is_served(target: Target) -> None:
    doc = httpx.get(f"{target.server.url}/openapi.json").json()
    paths = set(doc["paths"])
    for p in (
        "/api/v1/sessions",
        "/api/v1/sessions/current",
        "/api/v1/profile",
        "/api/v1/profile/events",
        "/api/v1/call-logs",
        "/api/v1/call-logs/{log_id}/recording",
        "/api/v1/directory",
        "/api/v1/admin/accounts",
        "/api/v1/admin/reports/calls",
        "/api/v1/admin/exports/kamailio",
    ):
        assert p in paths
