"""The pjsua2 account configuration, built from the profile alone.

`account_config` is a pure function of the profile and the transport to use (it does no
I/O and reads no engine state), so what a profile turns into can be read in one place:
identity, outbound proxy and registrar, registration timers, credentials, SRTP and NAT.

The SIP server's addresses (which the endpoint lets through the TCP/TLS wake-up filter and a
static-IP account accepts INVITEs from) need DNS: `hosts_to_resolve` names what must be
looked up, `resolve_hosts` does it (blocking: the engine runs it on a worker thread, never on
the GUI thread) and `server_addresses` combines the answers with the profile's ports.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable, Mapping
from typing import Any

import pjsua2 as pj

from communicator.core.registration import NetworkErrorKind
from communicator.provisioning.schema import EquipmentType, SrtpMode, Transport, VoipProfile

SRTP_MODES = {
    SrtpMode.DISABLED: pj.PJMEDIA_SRTP_DISABLED,
    SrtpMode.OPTIONAL: pj.PJMEDIA_SRTP_OPTIONAL,
    SrtpMode.MANDATORY: pj.PJMEDIA_SRTP_MANDATORY,
}


def is_static_ip(profile: VoipProfile) -> bool:
    """A static-IP (PBX peer) account: no registration, calls only from the server."""
    return profile.equipment.type is EquipmentType.STATIC_IP


def transport_kinds(profile: VoipProfile) -> list[str]:
    """The transports the account may use, in the profile's order of preference."""
    if is_static_ip(profile):
        return [profile.equipment.protocol.value]
    return [t.value for t in profile.sip.transports]


def sip_uri(host: str, port: int, transport: str, *, lr: bool) -> str:
    host_part = f"[{host}]" if ":" in host and not host.startswith("[") else host
    params = "" if transport == "udp" else f";transport={transport}"
    return f"sip:{host_part}:{port}{params}{';lr' if lr else ''}"


def account_config(
    profile: VoipProfile, *, transport_id: int, kind: str, bound_address: str = ""
) -> Any:
    """The `pj.AccountConfig` for ``profile`` over the transport ``kind`` (id ``transport_id``)."""
    static_ip = is_static_ip(profile)
    sip = profile.sip
    domain = sip.effective_domain
    user = sip.username or profile.agent.extension
    acfg = pj.AccountConfig()
    host = (profile.equipment.workstation_ip or domain) if static_ip else domain
    acfg.idUri = f"sip:{user}@{host}"
    display = sip.caller_id or profile.agent.display_name
    if display:
        acfg.idUri = f'"{display}" <{acfg.idUri}>'
    transport = Transport(kind)
    server_port = sip.server_port(transport)
    proxies: list[str] = []
    if sip.outbound_proxy:
        proxy_port = sip.outbound_proxy_port_for(transport)
        proxies.append(sip_uri(sip.outbound_proxy, proxy_port, kind, lr=True))
    elif static_ip or domain != sip.server:
        proxies.append(sip_uri(sip.server, server_port, kind, lr=True))
    for proxy in proxies:
        acfg.sipConfig.proxies.append(proxy)
    acfg.sipConfig.transportId = transport_id
    if static_ip:
        acfg.regConfig.registrarUri = ""
    elif proxies:
        acfg.regConfig.registrarUri = f"sip:{domain}"
    else:
        acfg.regConfig.registrarUri = sip_uri(sip.server, server_port, kind, lr=False)
    reg = profile.registration
    acfg.regConfig.registerOnAdd = False
    acfg.regConfig.timeoutSec = reg.expiry_seconds
    acfg.regConfig.retryIntervalSec = 0  # the core drives retries
    acfg.regConfig.firstRetryIntervalSec = 0
    acfg.regConfig.randomRetryIntervalSec = 0
    # pjsua2 refreshes on its own too; make its timer fall after the core's refresh, so the
    # core's REGISTER goes first and pjsua2's timer is re-armed by its 200.
    acfg.regConfig.delayBeforeRefreshSec = max(1, reg.expiry_seconds - reg.refresh_seconds - 2)
    acfg.regConfig.dropCallsOnFail = False
    password = sip.password.get_secret_value() if sip.password is not None else ""
    if not static_ip or password:
        cred = pj.AuthCredInfo("digest", "*", sip.auth_name or user, 0, password)
        acfg.sipConfig.authCreds.append(cred)
    acfg.mediaConfig.srtpUse = SRTP_MODES[profile.media.srtp]
    acfg.mediaConfig.srtpSecureSignaling = 0
    if bound_address:
        acfg.mediaConfig.transportConfig.boundAddress = bound_address
    nat = profile.nat
    acfg.natConfig.udpKaIntervalSec = nat.keepalive_seconds
    if not nat.stun_server:
        acfg.natConfig.sipStunUse = pj.PJSUA_STUN_USE_DISABLED
        acfg.natConfig.mediaStunUse = pj.PJSUA_STUN_USE_DISABLED
    acfg.natConfig.viaRewriteUse = 1 if nat.rport else 0
    acfg.natConfig.contactRewriteUse = 1 if nat.rport else 0
    return acfg


# ---------------------------------------------------------------- the server's addresses


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def hosts_to_resolve(profile: VoipProfile) -> tuple[str, ...]:
    """The SIP server and outbound proxy names that need DNS (literal addresses do not)."""
    sip = profile.sip
    hosts = [sip.server] + ([sip.outbound_proxy] if sip.outbound_proxy else [])
    return tuple(dict.fromkeys(h for h in hosts if h and not _is_address(h)))


def resolve_hosts(hosts: Iterable[str]) -> dict[str, frozenset[str]]:
    """Each host's addresses (blocking DNS: run it on a worker thread). A host that does not
    resolve keeps its name, so it still matches a literal source."""
    out: dict[str, frozenset[str]] = {}
    for host in hosts:
        try:
            out[host] = frozenset(str(info[4][0]) for info in socket.getaddrinfo(host, None))
        except OSError:
            out[host] = frozenset({host})
    return out


def server_addresses(
    profile: VoipProfile, resolved: Mapping[str, frozenset[str]]
) -> set[tuple[str, int]]:
    """(address, port) pairs of the SIP server and outbound proxy, for every transport the
    account may use. Names missing from ``resolved`` (not looked up yet) are left out."""
    sip = profile.sip
    transports = [Transport(kind) for kind in transport_kinds(profile)]

    def addresses(host: str) -> frozenset[str]:
        return (
            frozenset({host.strip("[]")}) if _is_address(host) else resolved.get(host, frozenset())
        )

    server_ports = {sip.server_port(t) for t in transports}
    out = {(ip, port) for ip in addresses(sip.server) for port in server_ports}
    if sip.outbound_proxy:
        proxy_ports = {sip.outbound_proxy_port_for(t) for t in transports}
        out |= {(ip, port) for ip in addresses(sip.outbound_proxy) for port in proxy_ports}
    return out


def network_kind(text: str, code: int) -> NetworkErrorKind:
    """What kind of failure below SIP a pjsip error text describes."""
    lower = text.lower()
    if "ssl" in lower or "tls" in lower or "certificate" in lower:
        return NetworkErrorKind.TLS
    if "resolve" in lower or "dns" in lower or "host not found" in lower:
        return NetworkErrorKind.DNS
    if code == 408 or "timed out" in lower or "timeout" in lower:
        return NetworkErrorKind.TIMEOUT
    if "network is unreachable" in lower:
        return NetworkErrorKind.NETWORK_DOWN
    return NetworkErrorKind.CONNECT
