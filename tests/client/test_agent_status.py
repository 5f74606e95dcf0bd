"""The client reports its agent state and registration to a real server."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from communicator.provisioning.agent_status import (
    AgentState,
    AgentStatus,
    Registration,
    StatusReport,
)
from communicator.provisioning.client import ErrorKind, ProvisioningClient, ProvisioningError
from tests.client.site import Site

REGISTERED = Registration(
    registered=True, contact="127.0.0.1:5062", transport="udp", expires=30, server="127.0.0.1"
)


def test_reports_reach_the_admin_with_the_time_the_state_began(site: Site) -> None:
    agent = site.api.agent("anna", password="correct horse")
    site.api.account(agent["id"], sip_server="127.0.0.1")
    with ProvisioningClient(site.url) as client:
        session = client.sign_in("anna", "correct horse")
        ready = StatusReport(state=AgentState.READY, registration=REGISTERED)
        first = client.report_status(session, ready)
        assert first.state is AgentState.READY and first.registration == REGISTERED
        again = client.report_status(session, ready)
        assert again.since == first.since  # idempotent

        paused = StatusReport(
            state=AgentState.NOT_READY,
            reason="lunch",
            registration=Registration(registered=False),
        )
        stored = client.report_status(session, paused)
        assert stored.reason == "lunch" and stored.since != first.since

    board = site.api.ok(site.http.get("/api/v1/admin/agents/status", headers=site.api.h))
    shown = AgentStatus.model_validate(board[0]["status"])
    assert board[0]["login"] == "anna"
    assert shown == stored


def test_reports_from_worker_threads_while_the_client_is_in_use(site: Site) -> None:
    agent = site.api.agent("anna", password="correct horse")
    site.api.account(agent["id"], sip_server="127.0.0.1")
    states = [AgentState.READY, AgentState.ON_CALL, AgentState.WRAP_UP, AgentState.READY] * 3
    with ProvisioningClient(site.url) as client:
        session = client.sign_in("anna", "correct horse")
        with ThreadPoolExecutor(4) as pool:
            reports = [
                pool.submit(
                    client.report_status,
                    session,
                    StatusReport(state=state, registration=REGISTERED),
                )
                for state in states
            ]
            fetches = [pool.submit(client.fetch_profile, session) for _ in range(4)]
            results = [f.result(timeout=30) for f in reports]
            assert all(f.result(timeout=30).profile is not None for f in fetches)
        assert {r.state for r in results} == set(states)
        final = client.report_status(
            session, StatusReport(state=AgentState.READY, registration=REGISTERED)
        )
        assert final.state is AgentState.READY


def test_a_report_after_sign_out_is_refused_as_an_ended_session(site: Site) -> None:
    agent = site.api.agent("anna", password="correct horse")
    site.api.account(agent["id"], sip_server="127.0.0.1")
    with ProvisioningClient(site.url) as client:
        session = client.sign_in("anna", "correct horse")
        client.sign_out(session)
        with pytest.raises(ProvisioningError) as caught:
            client.report_status(
                session, StatusReport(state=AgentState.READY, registration=REGISTERED)
            )
    assert caught.value.kind is ErrorKind.SESSION_EXPIRED
    status = site.api.ok(site.http.get("/api/v1/admin/agents/status", headers=site.api.h))
    assert status[0]["status"] is None  # never reported; sign-out alone writes nothing


def test_the_report_model_refuses_what_the_server_would() -> None:
    with pytest.raises(ValueError, match="not_ready"):
        StatusReport(state=AgentState.READY, reason="lunch", registration=REGISTERED)
    with pytest.raises(ValueError, match="address:port"):
        Registration(registered=True, contact="127.0.0.1")
    assert Registration(registered=True, transport="TLS").transport == "tls"
