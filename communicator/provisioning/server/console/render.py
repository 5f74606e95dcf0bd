"""Jinja2 rendering and the response headers every console page carries."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse

from .numbers import number

HERE = Path(__file__).parent
STATIC = HERE / "static"

env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(HERE / "templates"),
    autoescape=jinja2.select_autoescape(("html",), default=True),
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)

PAGE_HEADERS = {
    # Scripts and styles only from files of the console: no inline script can run.
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


MESSAGES = {
    "signed-out": "Signed out.",
    "created": "Account created; pushed to {n} signed-in client{s}.",
    "saved": "Saved; pushed to {n} signed-in client{s}.",
    "deleted": "Deleted {n} account{s}; pushed to {p} signed-in client{ps}.",
}
"""Messages shown after a redirect: chosen by key, so a link cannot put words on a page."""


@dataclass(frozen=True)
class NavItem:
    key: str
    label: str
    url: str
    order: int


NAV: list[NavItem] = [
    NavItem("accounts", "VoIP accounts", "/admin/accounts", 10),
    NavItem("audit", "Audit history", "/admin/audit", 90),
]
"""The console's navigation, in ``order``; each page module adds its own entry."""


def add_page(key: str, label: str, url: str, order: int, messages: dict[str, str]) -> None:
    """Registers a page module's navigation entry and its after-redirect messages.

    Messages take ``{n}``/``{s}`` and ``{p}``/``{ps}`` (counts and their plural endings).
    """
    if key not in {item.key for item in NAV}:
        NAV.append(NavItem(key, label, url, order))
        NAV.sort(key=lambda item: item.order)
    for name, text in messages.items():
        if MESSAGES.get(name, text) != text:
            raise ValueError(f"console message {name!r} is registered twice")
        MESSAGES[name] = text


def _count(value: str | None) -> int:
    return number(value, 8) or 0


def flash(request: Request) -> str:
    q = request.query_params
    text = MESSAGES.get(q.get("msg", ""), "")
    n, p = _count(q.get("n")), _count(q.get("p"))
    return text.format(n=n, s="" if n == 1 else "s", p=p, ps="" if p == 1 else "s")


def page(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    context.setdefault("admin", None)
    context.setdefault("csrf", "")
    context.setdefault("nav", "")
    context.setdefault("flash", flash(request))
    context.setdefault("nav_items", NAV)
    html = env.get_template(template).render(request=request, **context)
    return HTMLResponse(html, status_code=status, headers=PAGE_HEADERS)


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303, headers={"Cache-Control": "no-store"})
