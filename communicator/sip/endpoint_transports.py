"""The endpoint's SIP transports: created on first use, one per kind (TLS: one per CA list)."""

from __future__ import annotations

import ssl
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pjsua2 as pj

from communicator.sip.sockopts import tcp_nodelay_params

TRANSPORT_TYPES = {
    "udp": pj.PJSIP_TRANSPORT_UDP,
    "tcp": pj.PJSIP_TRANSPORT_TCP,
    "tls": pj.PJSIP_TRANSPORT_TLS,
}


@dataclass(frozen=True)
class TransportAddress:
    kind: str
    host: str
    port: int

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


def default_ca_file() -> str | None:
    """The system CA bundle OpenSSL would use, if there is one."""
    paths = ssl.get_default_verify_paths()
    for candidate in (paths.cafile, paths.openssl_cafile, "/etc/ssl/certs/ca-certificates.crt"):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


def transport_config(
    kind: str,
    *,
    port: int,
    bound_address: str,
    ca_file: str | None,
    verify_server: bool,
) -> Any:
    """A ``pj.TransportConfig`` for ``kind`` (TCP_NODELAY on TCP and TLS, TLS 1.2)."""
    tcfg = pj.TransportConfig()
    tcfg.port = port
    if bound_address:
        tcfg.boundAddress = bound_address
    if kind in ("tcp", "tls"):
        tcfg.sockOptParams = tcp_nodelay_params()
    if kind == "tls":
        tls = tcfg.tlsConfig
        tls.method = pj.PJSIP_TLSV1_2_METHOD
        ca = ca_file or default_ca_file()
        if ca:
            tls.CaListFile = ca
        tls.verifyServer = verify_server
        tls.sockOptParams = tcp_nodelay_params()
        tcfg.tlsConfig = tls
    return tcfg


class Transports:
    """The transports of one pjsua2 Endpoint, by (kind, CA list, verify server)."""

    def __init__(
        self, ep: Any, *, sip_port: int, bound_address: str, changed: Callable[[], None]
    ) -> None:
        self._ep = ep
        self._sip_port = sip_port
        self._bound_address = bound_address
        self._changed = changed
        self._ids: dict[tuple[str, str | None, bool], int] = {}

    def get(self, kind: str, *, ca_file: str | None = None, verify_server: bool = True) -> int:
        """The transport of ``kind`` (created on first use). TLS uses ``sip_port + 1`` when a
        port is given, and any free port for a second CA list."""
        kind = kind.lower()
        key = (kind, ca_file if kind == "tls" else None, verify_server if kind == "tls" else True)
        tid = self._ids.get(key)
        if tid is not None:
            return tid
        port = self._sip_port
        if port and kind == "tls":
            port += 1
        tls_in_use = any(k[0] == "tls" for k in self._ids)
        tcfg = transport_config(
            kind,
            port=0 if (kind == "tls" and tls_in_use) else port,
            bound_address=self._bound_address,
            ca_file=ca_file,
            verify_server=verify_server,
        )
        tid = int(self._ep.transportCreate(TRANSPORT_TYPES[kind], tcfg))
        self._ids[key] = tid
        self._changed()
        return tid

    def address(self, tid: int) -> TransportAddress:
        info = self._ep.transportGetInfo(tid)
        host, _, port = str(info.localName).rpartition(":")
        return TransportAddress(str(info.typeName).lower(), host.strip("[]"), int(port))

    def first_of_each_kind(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for (kind, _, _), tid in self._ids.items():
            out.setdefault(kind, tid)
        return out

    def local_ports(self) -> tuple[frozenset[int], frozenset[int]] | None:
        """(UDP ports, TCP/TLS ports) the transports listen on; None if pjsua2 cannot say."""
        udp: set[int] = set()
        tcp: set[int] = set()
        try:
            for (kind, _, _), tid in self._ids.items():
                info = self._ep.transportGetInfo(tid)
                _, _, port = str(info.localAddress).rpartition(":")
                (udp if kind == "udp" else tcp).add(int(port))
        except (pj.Error, ValueError):
            return None
        return frozenset(udp), frozenset(tcp)
