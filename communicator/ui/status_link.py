"""The session's link to the server's agent status: builds a `StatusReport` from the session
state and hands it to a `StatusReporter` (worker thread) while an agent is signed in online."""

from __future__ import annotations

from types import MappingProxyType
from typing import TYPE_CHECKING

from communicator.core.agent_state import AgentState
from communicator.core.registration import RegistrationStatus
from communicator.provisioning import agent_status as wire
from communicator.provisioning.status_reporter import StatusReporter

if TYPE_CHECKING:
    from communicator.ui.session_state import SessionState
    from communicator.workstation import SignedIn, Workstation

WIRE_STATES: MappingProxyType[AgentState, wire.AgentState] = MappingProxyType(
    {
        AgentState.SIGNED_OUT: wire.AgentState.SIGNED_OUT,
        AgentState.READY: wire.AgentState.READY,
        AgentState.NOT_READY: wire.AgentState.NOT_READY,
        AgentState.NO_ANSWER: wire.AgentState.NO_ANSWER,
        AgentState.ON_CALL: wire.AgentState.ON_CALL,
        AgentState.WRAP_UP: wire.AgentState.WRAP_UP,
    }
)
SIGNED_OUT_REPORT = wire.StatusReport(
    state=wire.AgentState.SIGNED_OUT, registration=wire.Registration(registered=False)
)


def status_report(state: SessionState) -> wire.StatusReport:
    agent = state.agent
    return wire.StatusReport(
        state=WIRE_STATES[agent.state],
        reason=agent.reason if agent.state is AgentState.NOT_READY else None,
        registration=registration_report(state.registration, registered=state.registered),
    )


def registration_report(status: RegistrationStatus, *, registered: bool) -> wire.Registration:
    current = status.current
    if current is None or not registered:
        return wire.Registration(registered=registered)
    host = current.contact_host
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return wire.Registration(
        registered=True,
        contact=f"{host}:{current.contact_port}",
        transport=current.transport.lower(),
        expires=max(0, round(current.expiry)),
        server=current.server_host,
    )


class StatusLink:
    def __init__(self, workstation: Workstation) -> None:
        self._ws = workstation
        self._reporter: StatusReporter[wire.StatusReport] | None = None

    @property
    def reporter(self) -> StatusReporter[wire.StatusReport] | None:
        return self._reporter

    def attach(self, signed_in: SignedIn) -> None:
        self.detach().close()
        client, session = self._ws.client(signed_in.session.server_url), signed_in.session
        self._reporter = StatusReporter(
            lambda report: client.report_status(session, report), name="agent-status"
        )

    def report(self, state: SessionState) -> None:
        if self._reporter is not None and state.signed_in is not None:
            self._reporter.report(status_report(state))

    def detach(self) -> _Detached:
        reporter, self._reporter = self._reporter, None
        return _Detached(reporter)


class _Detached:
    """A reporter taken off the session: closed from any thread, with or without saying
    "signed out" first."""

    def __init__(self, reporter: StatusReporter[wire.StatusReport] | None) -> None:
        self._reporter = reporter

    def close_signed_out(self) -> None:
        if self._reporter is not None:
            self._reporter.close(SIGNED_OUT_REPORT)

    def close(self) -> None:
        if self._reporter is not None:
            self._reporter.close(timeout=0.5)
