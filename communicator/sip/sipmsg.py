"""Pure helpers for SIP text: scrubbing secrets from traces and reading a few header fields.

No pjsua2 here, so everything is unit-tested without an Endpoint.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_AUTH_HEADER = re.compile(
    r"^(?P<name>(?:Proxy-)?Authorization|(?:Proxy-)?Authentication-Info)[ \t]*:.*$",
    re.IGNORECASE | re.MULTILINE,
)
_DIGEST_FIELD = re.compile(r'\b(response|nextnonce|cnonce|rspauth)="[^"]*"', re.IGNORECASE)


def scrub(text: str) -> str:
    """``text`` with the values of Authorization-type headers replaced by ``<redacted>``.

    A SIP trace must never carry credentials: the digest response is derived from the password
    and can be attacked offline. The password itself never reaches a SIP message.
    """
    text = _AUTH_HEADER.sub(lambda m: f"{m.group('name')}: <redacted>", text)
    return _DIGEST_FIELD.sub(lambda m: f'{m.group(1)}="<redacted>"', text)


def header_values(message: str, name: str, compact: str | None = None) -> list[str]:
    """The values of every ``name`` header in a SIP message (header section only)."""
    head = message.split("\r\n\r\n", 1)[0].split("\n\n", 1)[0]
    names = {name.lower()} | ({compact.lower()} if compact else set())
    values: list[str] = []
    for line in head.replace("\r\n", "\n").split("\n")[1:]:
        key, colon, value = line.partition(":")
        if colon and key.strip().lower() in names:
            values.append(value.strip())
    return values


@dataclass(frozen=True)
class ViaAddress:
    """Where the server saw our request come from (``received``/``rport`` of the top Via)."""

    host: str
    port: int
    transport: str


_VIA = re.compile(r"SIP/2\.0/(?P<tp>[A-Za-z]+)\s+(?P<host>\[[^\]]+\]|[^;:\s]+)(?::(?P<port>\d+))?")


def top_via_address(message: str) -> ViaAddress | None:
    """The address our request came from as the server saw it (``received`` and ``rport``
    when present, else the sent-by of the top Via)."""
    vias = header_values(message, "Via", "v")
    if not vias:
        return None
    top = vias[0].split(",", 1)[0]
    match = _VIA.search(top)
    if match is None:
        return None
    transport = match.group("tp").lower()
    host = match.group("host")
    port = int(match.group("port") or (5061 if transport == "tls" else 5060))
    params = dict(_params(top[match.end() :]))
    received = params.get("received")
    rport = params.get("rport")
    if received:
        host = received
    if rport and rport.isdigit():
        port = int(rport)
    return ViaAddress(host, port, transport)


def _params(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for part in text.split(";"):
        key, _, value = part.strip().partition("=")
        if key:
            out.append((key.lower(), value.strip()))
    return out


_NAME_ADDR = re.compile(
    r'^\s*(?:"(?P<quoted>(?:[^"\\]|\\.)*)"|(?P<token>[^<"]*?))\s*<(?P<uri>[^>]*)>'
)


def split_name_addr(value: str) -> tuple[str, str]:
    """(display name, URI) of a SIP name-addr such as ``"Alice" <sip:a@b>;tag=1``."""
    match = _NAME_ADDR.match(value)
    if match is None:
        return "", value.split(";", 1)[0].strip()
    quoted = match.group("quoted")
    name = (
        (match.group("token") or "").strip() if quoted is None else re.sub(r"\\(.)", r"\1", quoted)
    )
    return name, match.group("uri").strip()


def host_port(address: str) -> tuple[str, int | None]:
    """Split ``"127.0.0.1:5060"`` / ``"[::1]:5060"`` / ``"host"`` into host and port."""
    address = address.strip()
    if address.startswith("["):
        host, _, rest = address[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else ""
    elif address.count(":") == 1:
        host, _, port = address.partition(":")
    else:
        host, port = address, ""
    return host, int(port) if port.isdigit() else None
