"""The real provisioning server with Kamailio reading its database live (issue 18).

:class:`DirectoryRig` runs the server as a process (``LiveServer``) on SQLite or PostgreSQL,
a Kamailio whose subscribers, aliases and group routing come from that database (no export),
and gives helpers to make agents with SIP accounts, sign them in, report their agent states
and register pjsua2 peers for them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from communicator.provisioning.server.sip_directory import kamailio_db_url
from tests.rig.kamailio import DEFAULT_DOMAIN, KamailioServer
from tests.rig.peer_client import PeerProcess
from tests.server.conftest import Api, LiveServer, admin_token, make_config

AGENT_PW = "correct horse"


@dataclass
class RigAgent:
    login: str
    agent_id: int
    account_id: int
    sip_username: str
    sip_password: str
    extension: int
    token: str = ""


class DirectoryRig:
    def __init__(
        self,
        db_url: str,
        tmp_path: Path,
        kamailio_factory: Any,
        peer_factory: Any,
        *server_args: str,
        kamailio_rpc: bool = False,
    ) -> None:
        # kamailio_rpc: the server removes stale registrations through Kamailio's JSON-RPC.
        self.kamailio: KamailioServer = kamailio_factory(
            directory_db=kamailio_db_url(db_url), rpc=kamailio_rpc
        )
        if kamailio_rpc:
            server_args = (*server_args, "--kamailio-rpc", self.kamailio.rpc_url)
        self.server = LiveServer(db_url, tmp_path, "--heartbeat", "0.5", *server_args).start()
        self.http = httpx.Client(base_url=self.server.url, timeout=10.0)
        self.api = Api(self.http, admin_token(make_config(db_url, tmp_path)))
        self._peer_factory = peer_factory
        self.agents: dict[str, RigAgent] = {}

    def close(self) -> None:
        self.http.close()
        self.server.stop()

    # -- provisioning ------------------------------------------------------------------------

    def agent(
        self,
        login: str,
        sip_username: str,
        *,
        group_id: int | None = None,
        extension: int | None = None,
        sip_password: str | None = None,
        **account: Any,
    ) -> RigAgent:
        extra = {"group_id": group_id} if group_id is not None else {}
        a = self.api.agent(login, password=AGENT_PW, **extra)
        password = sip_password or f"{login}-sip-secret"
        fields: dict[str, Any] = {
            "sip_username": sip_username,
            "sip_password": password,
            "sip_server": "127.0.0.1",
            "sip_domain": DEFAULT_DOMAIN,
            **account,
        }
        if extension is not None:
            fields["extension"] = extension
        acc = self.api.account(a["id"], **fields)
        agent = RigAgent(login, a["id"], acc["id"], sip_username, password, acc["extension"])
        self.agents[login] = agent
        self.kamailio.remember_account(sip_username, password)
        return agent

    def patch(self, what: str, item_id: int, fields: dict[str, Any]) -> Any:
        return self.api.ok(
            self.http.patch(f"/api/v1/admin/{what}/{item_id}", json=fields, headers=self.api.h)
        )

    def sign_in(self, login: str) -> str:
        agent = self.agents[login]
        agent.token = self.api.sign_in(login, AGENT_PW)["token"]
        return agent.token

    def report(self, login: str, state: str, *, registered: bool = True) -> None:
        agent = self.agents[login]
        if not agent.token:
            self.sign_in(login)
        body = {
            "state": state,
            "reason": None,
            "registration": {"registered": registered, "transport": "udp"},
        }
        self.api.ok(
            self.http.put("/api/v1/agent/status", json=body, headers=self.api.bearer(agent.token))
        )

    # -- phones ------------------------------------------------------------------------------

    def phone(
        self, login: str, *, auto_answer: bool = False, transport: str = "udp"
    ) -> PeerProcess:
        """A pjsua2 peer registered as the agent's SIP account (ringing on incoming calls)."""
        agent = self.agents[login]
        peer: PeerProcess = self._peer_factory(
            login, account=agent.sip_username, server=self.kamailio, transport=transport
        )
        if auto_answer:
            peer.command("auto_answer", enabled=True, code=200)
        return peer

    def register(self, peer: PeerProcess, username: str, password: str) -> dict[str, Any]:
        """A fresh REGISTER with these credentials; returns the final reg_state event."""
        since = peer.mark()
        self.kamailio.remember_account(username, password)
        fields = peer.registration_fields(self.kamailio, username)
        peer.register(**fields)
        event: dict[str, Any] = peer.wait_for(
            "reg_state", lambda e: e["code"] >= 200, since=since, timeout=5.0
        )
        return event
