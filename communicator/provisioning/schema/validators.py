"""Reusable annotated types and check functions for the profile schema.

All scalar types are *strict*: a JSON string is never silently turned into a number or a
boolean. Failed checks raise :class:`pydantic_core.PydanticCustomError` with a short human
sentence that :mod:`.parsing` turns into a :class:`~.errors.ProfileError`.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from collections.abc import Callable
from typing import Annotated, NoReturn

from pydantic import AfterValidator, Strict
from pydantic_core import PydanticCustomError

__all__ = [
    "FIELD_CTX_KEY",
    "Bool",
    "Int",
    "Port",
    "Str",
    "between",
    "check_host",
    "check_ip_address",
    "check_sip_uri_or_number",
    "check_text",
    "describe",
    "fail",
    "type_name",
]

FIELD_CTX_KEY = "profile_field"
"""Error-context key naming a sub-field that a model-level check points at."""

_MAX_SHOWN = 40

Int = Annotated[int, Strict()]
"""An integer; booleans, floats and numeric strings are rejected."""
Bool = Annotated[bool, Strict()]
"""A JSON boolean; 0/1 and "true" are rejected."""
Str = Annotated[str, Strict()]
"""A string; numbers are rejected."""


def fail(message: str, *, field: str | int | None = None) -> NoReturn:
    """Reject the value being validated with ``message``.

    ``field`` names a sub-field (dotted path, or an int index into a list) relative to the
    value being validated, for whole-model or whole-list checks that concern one member.
    """
    context = {FIELD_CTX_KEY: field} if field is not None else None
    raise PydanticCustomError("profile", message, context)


def type_name(value: object) -> str:
    """JSON-ish name of the type of ``value`` ("a string", "a number", ...)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return f"a {type(value).__name__}"


def describe(value: object) -> str:
    """A short, safe rendering of a non-secret value for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        shown = str(value)
        return shown if len(shown) <= _MAX_SHOWN else shown[: _MAX_SHOWN - 3] + "..."
    if isinstance(value, str):
        shown = value if len(value) <= _MAX_SHOWN else value[: _MAX_SHOWN - 3] + "..."
        return repr(shown)
    return type_name(value)


def between(low: int, high: int | None = None) -> AfterValidator:
    """Validator requiring ``low <= value <= high`` (no upper bound when ``high`` is None)."""

    def check(value: int) -> int:
        if value < low or (high is not None and value > high):
            if high is None:
                fail(f"must be at least {low} (got {describe(value)})")
            fail(f"must be between {low} and {high} (got {describe(value)})")
        return value

    return AfterValidator(check)


Port = Annotated[int, Strict(), between(1, 65535)]
"""A TCP/UDP port number, 1..65535."""


def _bad_chars(value: str) -> bool:
    return any(unicodedata.category(ch) in ("Cc", "Cs") for ch in value)


def check_text(
    max_length: int,
    *,
    required: bool = False,
    forbidden: str = "",
    no_spaces: bool = False,
) -> Callable[[str], str]:
    """Build a check for free text: no control characters, bounded length.

    ``required`` rejects the empty string, ``forbidden`` lists characters that may not appear,
    ``no_spaces`` rejects any whitespace.
    """

    def check(value: str) -> str:
        if required and not value.strip():
            fail("must not be empty")
        if len(value) > max_length:
            fail(f"must be at most {max_length} characters long (got {len(value)})")
        if _bad_chars(value):
            fail("must not contain control characters")
        if no_spaces and any(ch.isspace() for ch in value):
            fail("must not contain spaces")
        for ch in forbidden:
            if ch in value:
                fail(f"must not contain {ch!r}")
        return value

    return check


_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")


def _is_hostname(value: str) -> bool:
    name = value[:-1] if value.endswith(".") else value
    if not name or len(name) > 253:
        return False
    labels = name.split(".")
    if not all(_LABEL.match(label) for label in labels):
        return False
    # An all-numeric last label is a mistyped IPv4 address, not a host name.
    return not labels[-1].isdigit()


def check_ip_address(value: str) -> str:
    """Accept an IPv4 or IPv6 address (IPv6 without brackets)."""
    try:
        ipaddress.ip_address(value)
    except ValueError:
        fail(f"must be an IPv4 or IPv6 address (got {describe(value)})")
    return value


def check_host(value: str) -> str:
    """Accept a DNS host name, an IPv4 address or an IPv6 address (optionally in brackets)."""
    if value.lower().startswith(("sip:", "sips:")) or "://" in value:
        fail(f"must be a host name or IP address without a scheme (got {describe(value)})")
    bracketed = value.startswith("[") and value.endswith("]")
    candidate = value[1:-1] if bracketed else value
    try:
        address = ipaddress.ip_address(candidate)
    except ValueError:
        pass
    else:
        if not bracketed or address.version == 6:
            return value
    if bracketed:
        fail(
            "must be a host name or IP address; brackets may only enclose an IPv6 address "
            f"(got {describe(value)})"
        )
    if value.count(":") == 1:
        fail(
            f"must be a host name or IP address without a port; "
            f"use the separate port field (got {describe(value)})"
        )
    if not _is_hostname(value):
        fail(f"must be a valid host name or IP address (got {describe(value)})")
    return value


_NUMBER = re.compile(r"^\+?[0-9*#]{1,32}$")
_SIP_URI = re.compile(
    r"^(?P<scheme>sips?):(?P<user>[A-Za-z0-9\-_.!~*'()&=+$,;?/%]+)@"
    r"(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.\-]+)(?::(?P<port>[0-9]{1,5}))?"
    r"(?P<params>;[^\s<>\"]*)?$",
    re.IGNORECASE,
)


def check_sip_uri_or_number(value: str) -> str:
    """Accept a dialable number (digits, ``*``, ``#``, optional leading ``+``) or a SIP URI."""
    if _NUMBER.match(value):
        return value
    match = _SIP_URI.match(value)
    if match is None:
        fail(
            "must be a phone number (digits, '*', '#', optional leading '+') or a SIP URI "
            f"such as sip:1001@pbx.example.com (got {describe(value)})"
        )
    try:
        check_host(match["host"])
    except PydanticCustomError:
        fail(f"has an invalid host in the SIP URI (got {describe(value)})")
    port = match["port"]
    if port is not None and not 1 <= int(port) <= 65535:
        fail(f"has a port outside 1..65535 in the SIP URI (got {describe(value)})")
    return value
