"""Call-center settings: not-ready reasons, wrap-up and no-answer times, whether calls reach an
agent who is not ready, screen pop and offline start."""

from __future__ import annotations

import string
from collections.abc import Mapping
from typing import Annotated
from urllib.parse import quote, urlsplit

from pydantic import AfterValidator, Field, Strict, field_validator

from .base import Section, lower_case
from .enums import ScreenPopMoment
from .validators import Bool, Int, Str, between, check_host, check_text, describe, fail

__all__ = [
    "SCREEN_POP_PLACEHOLDERS",
    "CallCenterSettings",
    "NotReadyReason",
    "check_screen_pop_template",
    "render_url_template",
]

SCREEN_POP_PLACEHOLDERS: tuple[str, ...] = (
    "number",
    "name",
    "extension",
    "agent",
    "call_id",
    "direction",
)
"""Placeholders allowed in the screen-pop URL template, written in braces, e.g. ``{number}``:

- ``number``: the remote party's number;
- ``name``: the remote party's display name;
- ``extension``: the agent's extension;
- ``agent``: the agent's login;
- ``call_id``: the SIP Call-ID of the call;
- ``direction``: ``inbound`` or ``outbound``.
"""

_FORMATTER = string.Formatter()


def _placeholders(template: str) -> list[tuple[str, str | None]]:
    """(literal text, placeholder name or None) pairs; raises ValueError on bad braces."""
    parts: list[tuple[str, str | None]] = []
    for literal, name, spec, conversion in _FORMATTER.parse(template):
        if name is not None and (spec or conversion):
            raise _PlaceholderError(f"placeholder {{{name}}} must not have a format or conversion")
        parts.append((literal, name))
    return parts


class _PlaceholderError(ValueError):
    pass


def check_screen_pop_template(template: str) -> str:
    """Validate a screen-pop URL template; return it unchanged.

    It must be an http(s) URL with a host, and every ``{placeholder}`` must be one of
    :data:`SCREEN_POP_PLACEHOLDERS`. Placeholders are not allowed in the scheme or host.
    Literal braces are written doubled (``{{`` and ``}}``).
    """
    check_text(2048, required=True, no_spaces=True)(template)
    try:
        parts = _placeholders(template)
    except _PlaceholderError as exc:
        fail(str(exc))
    except ValueError:
        fail(f"has unbalanced braces (got {describe(template)})")
    for _literal, name in parts:
        if name is not None and name not in SCREEN_POP_PLACEHOLDERS:
            fail(
                f"uses unknown placeholder {{{name}}}; allowed: "
                + ", ".join(f"{{{p}}}" for p in SCREEN_POP_PLACEHOLDERS)
            )
    try:
        raw = urlsplit(template)
        sample = urlsplit(render_url_template(template, {}))
        host = sample.hostname
        _ = sample.port
    except ValueError:
        fail(f"must be a valid http or https URL (got {describe(template)})")
    if sample.scheme.lower() not in ("http", "https") or not host:
        fail(f"must be an http or https URL with a host (got {describe(template)})")
    if "{" in raw.scheme or "{" in raw.netloc:
        fail("must not use placeholders in the scheme or host")
    try:
        check_host(host)
    except ValueError:
        fail(f"must have a valid host name (got {describe(template)})")
    return template


def render_url_template(template: str, values: Mapping[str, str]) -> str:
    """Fill ``{placeholders}`` with URL-encoded ``values`` (missing values become empty)."""
    pieces: list[str] = []
    for literal, name in _placeholders(template):
        pieces.append(literal)
        if name is not None:
            pieces.append(quote(str(values.get(name, "")), safe=""))
    return "".join(pieces)


class NotReadyReason(Section):
    """A reason an agent can give for being not ready."""

    code: Annotated[Str, AfterValidator(check_text(32, required=True, no_spaces=True))] = Field(
        description="Reason code reported to the server, unique within the profile."
    )
    label: Annotated[Str, AfterValidator(check_text(64, required=True))] = Field(
        description="Text shown to the agent."
    )


ScreenPopTemplate = Annotated[str, Strict(), AfterValidator(check_screen_pop_template)]


class CallCenterSettings(Section):
    """Contact-center behaviour of the client."""

    not_ready_reasons: tuple[NotReadyReason, ...] = Field(
        default=(), description="Not-ready reason codes offered to the agent (unique codes)."
    )
    wrap_up_seconds: Annotated[Int, between(0, 86400)] = Field(
        default=0, description="After-call work time in seconds before the agent is ready again."
    )
    wrap_up_extension_seconds: Annotated[Int, between(0, 86400)] = Field(
        default=30,
        description="Seconds one 'extend' adds to the wrap-up; 0: the agent cannot extend it.",
    )
    no_answer_seconds: Annotated[Int, between(0, 3600)] = Field(
        default=20,
        description="A call ringing the agent this long unanswered puts the agent in "
        "'Not ready - no answer'; 0: off.",
    )
    calls_while_not_ready: Bool = Field(
        default=False,
        description="Whether direct calls still ring while the agent is not ready or in wrap-up "
        "(when false they are answered busy, 486).",
    )
    screen_pop_url: ScreenPopTemplate | None = Field(
        default=None,
        description="http(s) URL opened for each call; placeholders: "
        + ", ".join(f"{{{p}}}" for p in SCREEN_POP_PLACEHOLDERS)
        + " (values are URL-encoded).",
    )
    screen_pop_on: Annotated[ScreenPopMoment, lower_case] = Field(
        default=ScreenPopMoment.RINGING,
        description="When the screen-pop URL opens: ringing (as the call rings) or answered.",
    )
    allow_offline_start: Bool = Field(
        default=False,
        description="Whether a cached profile may be used to register while the provisioning "
        "server is unreachable.",
    )
    desk_phone: Annotated[Str, AfterValidator(check_text(128, required=True))] | None = Field(
        default=None,
        description="Hot desk: the desk phone the agent chose for this session (its name); "
        "calls ring there and the client registers no SIP account. null: this computer.",
    )

    @field_validator("not_ready_reasons")
    @classmethod
    def _unique_codes(cls, value: tuple[NotReadyReason, ...]) -> tuple[NotReadyReason, ...]:
        seen: set[str] = set()
        for index, reason in enumerate(value):
            if reason.code in seen:
                fail(f"code {reason.code!r} is used more than once", field=f"[{index}].code")
            seen.add(reason.code)
        return value

    def render_screen_pop(
        self,
        *,
        number: str = "",
        name: str = "",
        extension: str = "",
        agent: str = "",
        call_id: str = "",
        direction: str = "",
    ) -> str | None:
        """The screen-pop URL for a call, values URL-encoded; None when no URL is configured."""
        if self.screen_pop_url is None:
            return None
        return render_url_template(
            self.screen_pop_url,
            {
                "number": number,
                "name": name,
                "extension": extension,
                "agent": agent,
                "call_id": call_id,
                "direction": direction,
            },
        )
