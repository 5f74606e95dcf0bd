"""pytest fixtures of the SIP test rig (imported by tests/conftest.py).

* ``kamailio`` (session): a running :class:`KamailioServer` with accounts 1001..1010 (random
  passwords: ``kamailio.account("1001").password``). Do not stop it; use ``kamailio_factory``
  for a server a test may stop, restart or configure.
* ``kamailio_factory`` (function): ``make(accounts=None, *, subscriber_file=None, start=True,
  **kwargs) -> KamailioServer``; every server made is closed after the test.
* ``stun_server`` (session): a running :class:`StunServer` (``stun_server.address``).
* ``peer_factory`` (function): ``make(name=None, *, account=None, server=None, transport="udp",
  stun=None, wait=True, **register_fields) -> PeerProcess``. With ``account`` the peer registers
  that user on ``server`` (default: the session ``kamailio``) and, with ``wait``, waits for 200.
  Every peer is quit (hang up, unregister, libDestroy) or killed after the test.

All servers run on free loopback ports and are stopped by PID. If a binary is missing the
fixture skips with the package to install (``make test`` installs them).
"""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.rig.kamailio import KamailioServer, find_module_dir, kamailio_binary, random_accounts
from tests.rig.peer_client import PeerProcess
from tests.rig.stun import StunServer
from tests.rig.udp_relay import UdpRelay

ACCOUNT_USERS = tuple(str(n) for n in range(1001, 1011))

KamailioFactory = Callable[..., KamailioServer]
PeerFactory = Callable[..., PeerProcess]


def require_kamailio() -> None:
    if kamailio_binary() is None:
        pytest.skip("kamailio is not installed (Debian: apt-get install kamailio)")
    if find_module_dir() is None:
        pytest.skip(
            "Kamailio TLS/registrar modules not found "
            "(Debian: apt-get install kamailio kamailio-tls-modules)"
        )
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed (needed for Kamailio's TLS certificate)")


def require_stun() -> None:
    if StunServer.available_implementation() is None:
        pytest.skip("no STUN server binary (Debian: apt-get install stun-server, or coturn)")


def require_pjsua2() -> None:
    pytest.importorskip("pjsua2", reason="pjsua2-python is not installed in this venv")


@pytest.fixture(scope="session")
def kamailio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KamailioServer]:
    require_kamailio()
    server = KamailioServer(
        random_accounts(ACCOUNT_USERS), run_dir=tmp_path_factory.mktemp("kamailio")
    )
    with server:
        yield server


@pytest.fixture
def kamailio_factory(tmp_path: Path) -> Iterator[KamailioFactory]:
    require_kamailio()
    servers: list[KamailioServer] = []
    counter = itertools.count(1)

    def make(
        accounts: list[tuple[str, str]] | None = None,
        *,
        subscriber_file: Path | str | None = None,
        start: bool = True,
        **kwargs: Any,
    ) -> KamailioServer:
        if accounts is None and subscriber_file is None and kwargs.get("directory_db") is None:
            accounts = random_accounts(ACCOUNT_USERS)
        server = KamailioServer(
            accounts,
            subscriber_file=subscriber_file,
            run_dir=tmp_path / f"kamailio-{next(counter)}",
            **kwargs,
        )
        servers.append(server)
        if start:
            server.start()
        return server

    try:
        yield make
    finally:
        for server in reversed(servers):
            server.close()


@pytest.fixture(scope="session")
def stun_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StunServer]:
    require_stun()
    with StunServer(tmp_path_factory.mktemp("stun")) as server:
        yield server


@pytest.fixture
def peer_factory(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[PeerFactory]:
    require_pjsua2()
    peers: list[PeerProcess] = []
    counter = itertools.count(1)

    def make(
        name: str | None = None,
        *,
        account: str | None = None,
        server: KamailioServer | None = None,
        transport: str = "udp",
        stun: str | list[str] | None = None,
        wait: bool = True,
        **register_fields: Any,
    ) -> PeerProcess:
        peer = PeerProcess(name or f"peer{next(counter)}", stun=stun, log_dir=tmp_path / "peers")
        peers.append(peer)
        peer.start()
        if account is not None:
            srv = server if server is not None else request.getfixturevalue("kamailio")
            peer.register_on(srv, account, transport, wait=wait, **register_fields)
        return peer

    try:
        yield make
    finally:
        for peer in reversed(peers):
            peer.close()


@pytest.fixture
def relay() -> Iterator[UdpRelay]:
    """A loss-injecting relay for a far end's media (`tests.rig.udp_relay`)."""
    relay = UdpRelay().start()
    try:
        yield relay
    finally:
        relay.close()
