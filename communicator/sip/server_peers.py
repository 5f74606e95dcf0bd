"""The SIP server's addresses, looked up off the GUI thread.

The engine needs them twice: the endpoint lets TCP/TLS traffic from them through its wake-up
filter (`SipEndpoint.set_sip_peers`), and a static-IP account takes INVITEs only from them.
Literal addresses apply at once; names go through DNS on a worker thread (getaddrinfo can
block for seconds), and `collect`, called from the engine's pump step, applies the answer.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from communicator.provisioning.schema import VoipProfile
from communicator.sip.account_config import hosts_to_resolve, resolve_hosts, server_addresses
from communicator.sip.endpoint import SipEndpoint
from communicator.sip.sipmsg import host_port

RESOLVE_POLL = 0.05
"""Seconds between checks for the DNS answer (only while a lookup runs)."""

Answer = dict[str, frozenset[str]]


class ServerPeers:
    def __init__(self, endpoint: SipEndpoint, owner: str, failure: Callable[[str], None]) -> None:
        self._endpoint = endpoint
        self._owner = owner
        self._failure = failure
        self._allowed: set[tuple[str, int]] = set()
        self._pending: tuple[VoipProfile, Future[Answer]] | None = None
        self._worker: ThreadPoolExecutor | None = None

    @property
    def resolving(self) -> bool:
        return self._pending is not None

    def resolve(self, profile: VoipProfile) -> None:
        """The addresses of ``profile``'s server and proxy (any earlier lookup is dropped)."""
        self._apply(server_addresses(profile, {}))
        hosts = hosts_to_resolve(profile)
        if not hosts:
            self._pending = None
            return
        if self._worker is None:
            self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sip-dns")
        self._pending = (profile, self._worker.submit(resolve_hosts, hosts))

    def collect(self) -> None:
        """Apply the DNS answer if it has come."""
        if self._pending is None or not self._pending[1].done():
            return
        profile, future = self._pending
        self._pending = None
        try:
            answer = future.result()
        except Exception as error:  # resolve_hosts handles OSError itself: a bug
            self._failure(f"resolving the SIP server: {error!r}")
            return
        self._apply(server_addresses(profile, answer))

    def is_server(self, source: str) -> bool:
        """Whether ``source`` (``host:port``) is the SIP server or its proxy."""
        host, port = host_port(source)
        return (host, port or 5060) in self._allowed

    def close(self) -> None:
        self._pending = None
        if self._worker is not None:
            self._worker.shutdown(wait=False, cancel_futures=True)
            self._worker = None
        self._endpoint.set_sip_peers(self._owner, ())

    def _apply(self, addresses: set[tuple[str, int]]) -> None:
        self._allowed = addresses
        self._endpoint.set_sip_peers(self._owner, addresses)
