"""A small contact center on loopback for the demo: the provisioning server (SQLite in the work
directory) with a group, an agent and SIP accounts created through its admin API, and a real
Kamailio that reads the accounts, extensions and group routing live from the server's database
(``communicator-server export kamailio-routing``), the way an admin would set one up: a change
made in the admin console reaches the registrar at once, with no export to re-run.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from communicator.demo.far_ends import ACCOUNTS

if TYPE_CHECKING:
    from tests.rig.kamailio import KamailioServer

AGENT_LOGIN = "anna"
AGENT_PASSWORD = "demo-password"
AGENT_EXTENSION = "201"
"""The agent's extension, which is also the SIP user name (so it is what the far ends dial)."""
SIP_DOMAIN = "sip.test.invalid"
REASONS = [
    {"code": "lunch", "label": "Lunch"},
    {"code": "training", "label": "Training"},
    {"code": "meeting", "label": "Meeting"},
]


class AdminApi:
    """The server's admin API with the demo administrator's token."""

    def __init__(self, url: str, token: str) -> None:
        self.http = httpx.Client(
            base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=10
        )

    def __call__(self, method: str, path: str, **kw: Any) -> Any:
        response = self.http.request(method, f"/api/v1/admin{path}", **kw)
        response.raise_for_status()
        return response.json() if response.content else None

    def close(self) -> None:
        self.http.close()


@dataclass
class ContactCenter:
    url: str
    admin: AdminApi
    kamailio: KamailioServer
    agent_account_id: int

    @property
    def agent_uri(self) -> str:
        return f"sip:{AGENT_EXTENSION}@{SIP_DOMAIN}"


def server_database(work: Path) -> Path:
    """The server's SQLite file, which Kamailio reads too."""
    return work / "server" / "server.sqlite3"


SERVER_CLI = [sys.executable, "-m", "communicator.provisioning.server.cli"]


def _server_options(work: Path) -> list[str]:
    return ["--data-dir", str(work / "server"), "--db", str(server_database(work))]


def admin_token(work: Path) -> str:
    """Creates the demo's admin token (and the server's database, migrated: Kamailio reads its
    views from the start)."""
    created = subprocess.run(
        [*SERVER_CLI, "admin", "create", "--name", "demo", *_server_options(work)],
        capture_output=True,
        text=True,
        check=True,
    )
    return created.stdout.strip().split()[-1]


@contextlib.contextmanager
def provisioning_server(work: Path, *, kamailio_rpc: str | None = None) -> Iterator[str]:
    """A real ``communicator-server serve`` process; yields its URL. ``kamailio_rpc``: Kamailio's
    JSON-RPC, through which the server drops the registrations a change makes stale."""
    from tests.rig.ports import free_port

    port = free_port()
    cli = SERVER_CLI
    common = _server_options(work)
    if kamailio_rpc is not None:
        common = [*common, "--kamailio-rpc", kamailio_rpc]
    log = (work / "server.log").open("wb")
    proc = subprocess.Popen(
        [
            *cli,
            "serve",
            "--port",
            str(port),
            "--heartbeat",
            "1",
            *common,
            "--recordings-dir",
            str(work / "recordings"),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"server did not start; see {work / 'server.log'}")
            time.sleep(0.1)  # readiness poll of another process
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def _create_accounts(admin: AdminApi, wrap_up_s: int) -> int:
    """The group, the agent and the SIP accounts; returns the agent's account id."""
    group = admin(
        "POST",
        "/groups",
        json={
            "name": "Support",
            "extension": 250,
            "wrap_up_s": wrap_up_s,
            "not_ready_reasons": REASONS,
        },
    )
    agent = admin(
        "POST",
        "/agents",
        json={
            "login": AGENT_LOGIN,
            "password": AGENT_PASSWORD,
            "display_name": "Anna Agent",
            "group_id": group["id"],
        },
    )
    sip = {"sip_server": "127.0.0.1", "sip_domain": SIP_DOMAIN, "codecs": ["PCMU"]}
    mine = admin(
        "POST",
        "/accounts",
        json={
            "agent_id": agent["id"],
            "sip_username": AGENT_EXTENSION,
            "extension": int(AGENT_EXTENSION),
            "sip_password": "anna-sip-secret",
            "max_lines": 2,
            "min_call_log_s": 0,
            "keepalive_s": 0,
            **sip,
        },
    )
    for far in ACCOUNTS:
        admin(
            "POST",
            "/accounts",
            json={
                "sip_username": far.user,
                "extension": int(far.user),
                "sip_password": far.password,
                **sip,
            },
        )
    return int(mine["id"])


@contextlib.contextmanager
def contact_center(work: Path, *, wrap_up_s: int = 30) -> Iterator[ContactCenter]:
    """Server, accounts and Kamailio; all stopped in reverse order on exit."""
    from tests.rig.kamailio import KamailioServer

    token = admin_token(work)
    # Kamailio's db_sqlite URL of the server's file (what `communicator-server export
    # kamailio-routing` writes into the fragment it prints), and its JSON-RPC for the server.
    database = f"sqlite://{server_database(work).resolve()}"
    with (
        KamailioServer(directory_db=database, run_dir=work / "kamailio", rpc=True) as kamailio,
        provisioning_server(work, kamailio_rpc=kamailio.rpc_url) as url,
    ):
        admin = AdminApi(url, token)
        try:
            account_id = _create_accounts(admin, wrap_up_s)
            admin("PATCH", f"/accounts/{account_id}", json={"sip_port": kamailio.udp_port})
            yield ContactCenter(url, admin, kamailio, account_id)
        finally:
            admin.close()
