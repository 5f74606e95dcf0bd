"""Turn what the agent typed into a SIP URI, using the profile's SIP domain and country code.

Rules, in the order they are tried:

1. ``"Name" <sip:...>`` - the address inside the angle brackets is used.
2. ``sip:`` / ``sips:`` URIs are kept (the scheme is lower-cased), ``tel:`` URIs are dialled
   as the number they carry.
3. ``user@host`` gets the plan's scheme in front and is otherwise kept.
4. Phone numbers: spaces, dashes, dots, slashes and parentheses are removed (and the
   ``(0)`` of ``+44 (0)20 ...``), then
   - ``+CC...`` or ``00CC...`` -> E.164 ``+CC...`` (7 to 15 digits);
   - 2 to 6 digits -> an extension, dialled as is at the domain;
   - a leading ``0`` (national trunk prefix) -> ``+<country code><rest>``;
   - other digit strings of 7 to 15 digits -> dialled as is at the domain (the PBX dial plan
     decides; some countries have no trunk prefix);
   - ``*`` / ``#`` feature codes (``*72``, ``#31#``) -> dialled as is.
5. A bare user name (``alice``, ``sales.desk``) -> ``sip:alice@<domain>``.

Anything else raises `InvalidDialStringError` with a message for the agent. ``#`` is escaped as
``%23`` in the user part, as RFC 3261 requires.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from communicator.core.errors import InvalidDialStringError
from communicator.core.notices import NoticeCode

E164_MIN_DIGITS = 7
E164_MAX_DIGITS = 15

_SEPARATORS = re.compile(r"[\s\-.()/\u00a0]")
_DIGITS = re.compile(r"\+?[0-9]+")
_FEATURE_CODE = re.compile(r"[*#][0-9*#]+")
_USER_NAME = re.compile(r"[A-Za-z][A-Za-z0-9._~-]*")
_NAME_ADDR = re.compile(r"^[^<]*<\s*([^>]+?)\s*>\s*$")
_HOST = re.compile(r"[A-Za-z0-9\[][A-Za-z0-9.\-:\[\]]*")
_SCHEMES = ("sip", "sips")


class DialKind(Enum):
    SIP_URI = "sip_uri"
    EXTENSION = "extension"
    E164 = "e164"
    OTHER_NUMBER = "other_number"
    FEATURE_CODE = "feature_code"
    USER_NAME = "user_name"


@dataclass(frozen=True)
class DialPlan:
    """The part of the profile needed to complete a dial string.

    ``country_code`` is the calling code without ``+`` or ``00`` (``"44"``, ``"1"``); a leading
    ``+`` is accepted and ignored. ``""`` (the profile's default) means unknown: national
    numbers with a trunk ``0`` are then dialled as typed, for the PBX to route.
    """

    domain: str
    country_code: str
    scheme: str = "sip"
    min_extension_digits: int = 2
    max_extension_digits: int = 6

    def __post_init__(self) -> None:
        if not self.domain or not _HOST.fullmatch(self.domain):
            raise ValueError(f"SIP domain {self.domain!r} is not a host name")
        if self.country_code and not re.fullmatch(r"\+?[0-9]{1,3}", self.country_code):
            raise ValueError(f"country code {self.country_code!r} must be 1 to 3 digits")
        if self.scheme not in _SCHEMES:
            raise ValueError(f"scheme must be one of {_SCHEMES}, not {self.scheme!r}")
        if not 1 <= self.min_extension_digits <= self.max_extension_digits < E164_MIN_DIGITS:
            raise ValueError("extension lengths must satisfy 1 <= min <= max < 7")

    @property
    def country_digits(self) -> str:
        return self.country_code.removeprefix("+")


@dataclass(frozen=True)
class DialTarget:
    """A normalised dial string: the URI to send the INVITE/REFER to, and what it was."""

    uri: str
    kind: DialKind
    number: str
    """The user part as a person reads it (``+442079460958``, ``1234``); empty for a host-only
    SIP URI."""


def to_sip_uri(text: str, plan: DialPlan) -> str:
    """The SIP URI for what the agent typed; raises `InvalidDialStringError`."""
    return parse_dial_string(text, plan).uri


def parse_dial_string(text: str, plan: DialPlan) -> DialTarget:
    """Classify and normalise a dial string; raises `InvalidDialStringError` for the agent."""
    stripped = text.strip()
    if not stripped:
        raise InvalidDialStringError(
            "Enter a number, extension or SIP address to dial", NoticeCode.DIAL_EMPTY
        )
    name_addr = _NAME_ADDR.match(stripped)
    if name_addr:
        stripped = name_addr.group(1)
    scheme, sep, rest = stripped.partition(":")
    if sep and scheme.lower() in _SCHEMES:
        return _sip_uri(scheme.lower(), rest, text)
    if sep and scheme.lower() == "tel":
        number = rest.split(";", 1)[0]
        return _phone_number(number, plan, text)
    if "@" in stripped:
        return _sip_uri(plan.scheme, stripped, text)
    compact = _SEPARATORS.sub("", _drop_optional_trunk_zero(stripped))
    if _DIGITS.fullmatch(compact) or _FEATURE_CODE.fullmatch(compact):
        return _phone_number(compact, plan, text)
    if _USER_NAME.fullmatch(stripped):
        return DialTarget(_at_domain(stripped, plan), DialKind.USER_NAME, stripped)
    raise InvalidDialStringError(
        f"{text.strip()!r} is not a phone number, extension or SIP address",
        NoticeCode.DIAL_UNKNOWN,
        dial=repr(text.strip()),
    )


_PASTED_SEPARATORS = re.compile(r"[\s\-.()/\[\]\u00a0\u2010-\u2015\u2212\u200b-\u200d\u2060\ufeff]")
_PASTED_NUMBER = re.compile(r"\+?[0-9*#]+")


def clean_dial_text(text: str) -> str:
    """What the agent typed or pasted, tidied for the number field and for dialling.

    A phone number written for people (``+48 22 123-45-67``, ``(020) 7946.0958``, typographic
    dashes, non-breaking and zero-width spaces, ``tel:`` in front, the ``(0)`` of
    ``+44 (0)20 ...``) becomes its digits with a leading ``+`` kept; anything else (SIP
    addresses, user names) only loses surrounding spaces. The result parses exactly as the text
    did with `parse_dial_string`, which accepts the common separators itself; this only shows
    the agent what will be dialled.
    """
    stripped = text.strip().strip("\u200b\u200c\u200d\u2060\ufeff").strip()
    body = stripped
    if body[:4].lower() == "tel:":
        body = body[4:].split(";", 1)[0]
    body = body.replace("\uff0b", "+")
    compact = _PASTED_SEPARATORS.sub("", _drop_optional_trunk_zero(body.strip()))
    if compact and _PASTED_NUMBER.fullmatch(compact):
        return compact
    return stripped


def _drop_optional_trunk_zero(text: str) -> str:
    """``+44 (0)20 ...`` is written with the national 0 in brackets; it is not dialled."""
    if text.startswith(("+", "00")):
        return text.replace("(0)", "", 1)
    return text


def _sip_uri(scheme: str, rest: str, original: str) -> DialTarget:
    if not rest or any(ch.isspace() for ch in rest):
        raise InvalidDialStringError(
            f"{original.strip()!r} is not a valid SIP address",
            NoticeCode.SIP_ADDRESS_INVALID,
            dial=repr(original.strip()),
        )
    user, at, host_part = rest.partition("@")
    if not at:
        user, host_part = "", rest
    elif not user:
        raise InvalidDialStringError(
            f"{original.strip()!r} has no user before the @",
            NoticeCode.SIP_ADDRESS_NO_USER,
            dial=repr(original.strip()),
        )
    host = re.split(r"[;?]", host_part, maxsplit=1)[0]
    if not _HOST.fullmatch(host):
        raise InvalidDialStringError(
            f"{original.strip()!r} has no valid host after the @",
            NoticeCode.SIP_ADDRESS_NO_HOST,
            dial=repr(original.strip()),
        )
    return DialTarget(f"{scheme}:{rest}", DialKind.SIP_URI, user.split(";", 1)[0])


def _phone_number(raw: str, plan: DialPlan, original: str) -> DialTarget:
    number = _SEPARATORS.sub("", raw)
    shown = original.strip()
    if _FEATURE_CODE.fullmatch(number):
        return DialTarget(_at_domain(number, plan), DialKind.FEATURE_CODE, number)
    if not _DIGITS.fullmatch(number):
        raise InvalidDialStringError(
            f"{shown!r} is not a phone number", NoticeCode.NOT_A_NUMBER, dial=repr(shown)
        )
    if number.startswith("+"):
        return _e164(number[1:], plan, shown)
    if number.startswith("00") and len(number) > plan.max_extension_digits:
        return _e164(number[2:], plan, shown)
    if plan.min_extension_digits <= len(number) <= plan.max_extension_digits:
        return DialTarget(_at_domain(number, plan), DialKind.EXTENSION, number)
    if len(number) < plan.min_extension_digits:
        raise InvalidDialStringError(
            f"{shown!r} is too short: extensions have {plan.min_extension_digits} to "
            f"{plan.max_extension_digits} digits",
            NoticeCode.NUMBER_TOO_SHORT,
            dial=repr(shown),
            min=plan.min_extension_digits,
            max=plan.max_extension_digits,
        )
    if number.startswith("0") and plan.country_digits:
        return _e164(plan.country_digits + number[1:], plan, shown)
    if len(number) > E164_MAX_DIGITS:
        raise InvalidDialStringError(
            f"{shown!r} is too long for a phone number",
            NoticeCode.NUMBER_TOO_LONG,
            dial=repr(shown),
        )
    return DialTarget(_at_domain(number, plan), DialKind.OTHER_NUMBER, number)


def _e164(digits: str, plan: DialPlan, shown: str) -> DialTarget:
    if digits.startswith("0"):
        raise InvalidDialStringError(
            f"{shown!r}: a country code cannot start with 0",
            NoticeCode.COUNTRY_CODE_ZERO,
            dial=repr(shown),
        )
    if not E164_MIN_DIGITS <= len(digits) <= E164_MAX_DIGITS:
        raise InvalidDialStringError(
            f"{shown!r}: international numbers have {E164_MIN_DIGITS} to {E164_MAX_DIGITS} digits",
            NoticeCode.INTERNATIONAL_LENGTH,
            dial=repr(shown),
            min=E164_MIN_DIGITS,
            max=E164_MAX_DIGITS,
        )
    number = "+" + digits
    return DialTarget(_at_domain(number, plan), DialKind.E164, number)


def _at_domain(user: str, plan: DialPlan) -> str:
    return f"{plan.scheme}:{user.replace('#', '%23')}@{plan.domain}"
