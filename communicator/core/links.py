"""Call links: ``sip:``, ``sips:``, ``tel:`` and ``callto:`` URLs handed to the softphone.

A browser, a CRM or a second launch of Communicator hands over a URL; `parse_link` turns it
into what to dial (`CallLink.target`, a string the dial plan accepts: a SIP URI or a phone
number) or raises `LinkError` with a message for the agent. Nothing is dialled from a link that
does not parse: a link comes from outside the agent's own hands, so it is checked strictly.

* ``sip:user@host`` / ``sips:user@host``: the address is kept without its ``?headers`` part
  (a link must not set SIP headers of the call); URI parameters (``;transport=tcp``) stay.
  ``%XX`` escapes in the user part are decoded once (``%2B`` is ``+``).
* ``tel:+44-20-7946-0958``: the number without its visual separators (RFC 3966) and without its
  parameters (``;phone-context=``); a number with ``;ext=`` or ``;isub=`` is refused (the
  extension would have to be keyed in after the answer, which a link cannot do).
* ``callto:``: Skype's and many CRMs' form: ``callto:+4420...``, ``callto://+4420...``,
  ``callto:sip:user@host``, ``callto:user@host``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from urllib.parse import unquote

from communicator.core.notices import Notice, NoticeCode

MAX_LINK_LENGTH = 512
"""Longer arguments are refused outright (nobody dials a page of text)."""


class LinkScheme(Enum):
    SIP = "sip"
    SIPS = "sips"
    TEL = "tel"
    CALLTO = "callto"


LINK_SCHEMES = tuple(scheme.value for scheme in LinkScheme)


class LinkError(ValueError):
    """A call link that cannot be dialled; ``str(err)`` is the agent's message in English,
    `notice` the same with its `NoticeCode` (parameter ``link``) for the UI to translate."""

    def __init__(self, code: NoticeCode, shown: str) -> None:
        super().__init__(_ENGLISH[code].format(link=shown))
        self.notice = Notice.coded(str(self), code, link=shown)


_ENGLISH = {
    NoticeCode.LINK_TOO_LONG: "The call link {link} is too long to be a phone number or address.",
    NoticeCode.LINK_BAD_CHARACTERS: "The call link {link} contains characters a link cannot have.",
    NoticeCode.NOT_A_LINK: (
        "{link} is not a call link: Communicator opens sip:, sips:, tel: and callto: links."
    ),
    NoticeCode.LINK_NO_NUMBER: "The call link {link} has no phone number.",
    NoticeCode.LINK_NOT_A_NUMBER: "The call link {link} does not hold a phone number.",
    NoticeCode.LINK_EXTENSION: (
        "The call link {link} asks for an extension after the number, which Communicator "
        "cannot dial: type the number and then the extension."
    ),
    NoticeCode.LINK_EMPTY: "The call link {link} has no number or address.",
    NoticeCode.LINK_NO_TARGET: "The call link {link} does not hold a number or an address.",
    NoticeCode.LINK_NOT_USER_AT_HOST: (
        "The call link {link} is not an address of the form user@host."
    ),
    NoticeCode.LINK_NO_USER: "The call link {link} has no user before the @.",
    NoticeCode.LINK_BAD_USER: "The call link {link} has a user part that cannot be dialled.",
    NoticeCode.LINK_NO_HOST: "The call link {link} has no valid host after the @.",
    NoticeCode.LINK_BAD_PORT: "The call link {link} has an invalid port.",
    NoticeCode.LINK_BAD_PARAMS: "The call link {link} has parameters that cannot be read.",
}
"""The agent's messages in English (the desktop has them in its translations too)."""


@dataclass(frozen=True)
class CallLink:
    scheme: LinkScheme
    target: str
    """What to dial: a SIP URI (``sip:2002@example.com``) or a phone number (``+442079460958``)."""
    original: str


_TEL_SEPARATORS = re.compile(r"[\s\-.()\u00a0]")
_TEL_NUMBER = re.compile(r"\+?[0-9*#]{2,20}")
_SIP_USER = re.compile(r"[A-Za-z0-9\-_.!~*'()&=+$,;?/%#]+")
_HOST = re.compile(r"(?:[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?\.?)+|\[[0-9A-Fa-f:.]+\]")
_PORT = re.compile(r"[0-9]{1,5}")
_PARAMS = re.compile(r"(?:;[A-Za-z0-9\-_.!~*'()%]+(?:=[A-Za-z0-9\-_.!~*'()%\[\]:]+)?)*")


def is_link(text: str) -> bool:
    """Whether ``text`` is meant as a call link (its scheme is one of ours), well formed or not."""
    scheme, sep, _ = text.strip().partition(":")
    return bool(sep) and scheme.lower() in LINK_SCHEMES


def parse_link(text: str) -> CallLink:
    """What ``text`` asks to dial; raises `LinkError` with the reason for the agent."""
    original = text
    text = text.strip()
    shown = _shorten(text)
    if len(text) > MAX_LINK_LENGTH:
        raise LinkError(NoticeCode.LINK_TOO_LONG, shown)
    if any(ord(ch) < 32 or (ch.isspace() and ch != " ") for ch in text):
        raise LinkError(NoticeCode.LINK_BAD_CHARACTERS, shown)
    scheme_text, sep, rest = text.partition(":")
    if not sep or scheme_text.lower() not in LINK_SCHEMES:
        raise LinkError(NoticeCode.NOT_A_LINK, shown)
    scheme = LinkScheme(scheme_text.lower())
    if scheme is LinkScheme.TEL:
        return CallLink(scheme, _tel_number(rest, shown), original)
    if scheme is LinkScheme.CALLTO:
        return CallLink(scheme, _callto(rest, shown), original)
    return CallLink(scheme, _sip_address(scheme.value, rest, shown), original)


def _tel_number(rest: str, shown: str) -> str:
    number, _, params = rest.partition(";")
    number = _TEL_SEPARATORS.sub("", unquote(number))
    if not number:
        raise LinkError(NoticeCode.LINK_NO_NUMBER, shown)
    if not _TEL_NUMBER.fullmatch(number):
        raise LinkError(NoticeCode.LINK_NOT_A_NUMBER, shown)
    if any(p.lower().startswith(("ext=", "isub=")) for p in params.split(";")):
        raise LinkError(NoticeCode.LINK_EXTENSION, shown)
    return number


def _callto(rest: str, shown: str) -> str:
    body = rest.removeprefix("//").strip().rstrip("/")
    if not body:
        raise LinkError(NoticeCode.LINK_EMPTY, shown)
    inner, sep, inner_rest = body.partition(":")
    if sep and inner.lower() in ("sip", "sips"):
        return _sip_address(inner.lower(), inner_rest, shown)
    if "@" in body:
        return _sip_address("sip", body, shown)
    number = _TEL_SEPARATORS.sub("", unquote(body))
    if _TEL_NUMBER.fullmatch(number):
        return number
    if re.fullmatch(r"[A-Za-z][A-Za-z0-9._~-]{0,63}", body):
        return body  # a user name: the dial plan puts it at the profile's domain
    raise LinkError(NoticeCode.LINK_NO_TARGET, shown)


def _sip_address(scheme: str, rest: str, shown: str) -> str:
    address = rest.split("?", 1)[0]  # headers: never taken from a link
    user, at, host_part = address.rpartition("@")
    if not at:
        raise LinkError(NoticeCode.LINK_NOT_USER_AT_HOST, shown)
    if not user:
        raise LinkError(NoticeCode.LINK_NO_USER, shown)
    user = unquote(user)
    if not _SIP_USER.fullmatch(user) or "@" in user:
        raise LinkError(NoticeCode.LINK_BAD_USER, shown)
    host_port, semi, params = host_part.partition(";")
    host, port = _split_port(host_port)
    if not host or not _HOST.fullmatch(host):
        raise LinkError(NoticeCode.LINK_NO_HOST, shown)
    if port is not None and (not _PORT.fullmatch(port) or not 0 < int(port) < 65536):
        raise LinkError(NoticeCode.LINK_BAD_PORT, shown)
    if semi and not _PARAMS.fullmatch(";" + params):
        raise LinkError(NoticeCode.LINK_BAD_PARAMS, shown)
    user = user.replace("#", "%23")
    return f"{scheme}:{user}@{host_port}" + (f";{params}" if semi else "")


def _split_port(host_port: str) -> tuple[str, str | None]:
    if host_port.startswith("["):
        host, _, after = host_port.partition("]")
        host += "]"
        if after.startswith(":"):
            return host, after[1:]
        return host, after or None
    host, colon, port = host_port.partition(":")
    return host, port if colon else None


def _shorten(text: str, limit: int = 60) -> str:
    shown = "".join(ch if ch.isprintable() else "?" for ch in text)
    return repr(shown if len(shown) <= limit else shown[: limit - 1] + "\u2026")
