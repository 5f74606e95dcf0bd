"""Where an incoming call came from, as the proxy says: the group it was routed through, and
why a ringing call was cancelled.

The proxy (Kamailio, issue 18) adds ``X-Communicator-Group: <name>`` to the INVITEs it forks to
a group's members, the name percent-encoded UTF-8 (RFC 3986). When another member answers, it
cancels the other branches with ``Reason: SIP;cause=200;text="Call completed elsewhere"``
(RFC 3326). Both headers reach the agent's screen and the call log, so what is read from them
is checked here: a value that is malformed, too long, not UTF-8 or carries control or
formatting characters is ignored (the call rings without a group), never shown raw.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import unquote_to_bytes

GROUP_HEADER = "X-Communicator-Group"
MAX_GROUP_NAME = 100
"""The server's group names are at most 100 characters (``groups.name``)."""
MAX_HEADER_VALUE = 4 * 3 * MAX_GROUP_NAME
"""The longest encoded value worth decoding: 100 characters of 4 UTF-8 bytes, each as %XX."""

_ENCODED = re.compile(r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@]|%[0-9A-Fa-f]{2})+")
"""RFC 3986 pchar: unreserved, sub-delims, ":", "@" and percent-encoded octets."""


@dataclass(frozen=True)
class CallGroup:
    """The group (hunt group, queue) an incoming call was routed through."""

    name: str

    def __post_init__(self) -> None:
        if not is_group_name(self.name):
            raise ValueError("not a usable group name")

    @classmethod
    def from_header(cls, value: str) -> CallGroup | None:
        """The group a header value names, or None when the value is not a clean
        percent-encoded UTF-8 name of 1 to `MAX_GROUP_NAME` printable characters."""
        raw = value.strip()
        if not raw or len(raw) > MAX_HEADER_VALUE or _ENCODED.fullmatch(raw) is None:
            return None
        try:
            name = unquote_to_bytes(raw).decode("utf-8", errors="strict")
        except UnicodeDecodeError:
            return None
        name = name.strip()
        return cls(name) if is_group_name(name) else None

    @classmethod
    def from_headers(cls, values: Iterable[str]) -> CallGroup | None:
        """The group of an INVITE's ``X-Communicator-Group`` headers: one name, or None when
        there is none, or several that disagree (nobody can tell which one is true)."""
        groups = {cls.from_header(v) for v in values}
        return groups.pop() if len(groups) == 1 else None


def is_group_name(name: str) -> bool:
    """1 to `MAX_GROUP_NAME` characters, printable (no control, format or separator characters
    other than the space), not blank at either end."""
    return 0 < len(name) <= MAX_GROUP_NAME and name == name.strip() and name.isprintable()


ANSWERED_ELSEWHERE_CAUSE = 200
"""RFC 3326: a CANCEL with ``Reason: SIP;cause=200`` means another phone answered."""

_CAUSE = re.compile(r"(?:^|;)\s*cause\s*=\s*(\d{1,3})\s*(?:;|$)", re.IGNORECASE)


def sip_cancel_cause(reason_values: Iterable[str]) -> int | None:
    """The SIP cause of a request's ``Reason`` headers (RFC 3326), None without one.

    Each header value may list several reasons (``Q.850;cause=16, SIP;cause=200;text="..."``);
    only the ``SIP`` protocol's cause counts."""
    for value in reason_values:
        for reason in _split_reasons(value):
            protocol, _, params = reason.partition(";")
            if protocol.strip().upper() != "SIP":
                continue
            match = _CAUSE.search(_without_quoted(params))
            if match is not None:
                return int(match.group(1))
    return None


def _without_quoted(text: str) -> str:
    return re.sub(r'"(?:[^"\\]|\\.)*"', '""', text)


def _split_reasons(value: str) -> list[str]:
    """A header value split at commas outside quoted strings."""
    parts: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    for char in value:
        if escaped:
            escaped = False
        elif char == "\\" and quoted:
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == "," and not quoted:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return [p.strip() for p in parts if p.strip()]
