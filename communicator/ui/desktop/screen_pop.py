"""Screen pop: the profile's URL template opened in the agent's default browser for a call.

The profile (``call_center.screen_pop_url``, ``call_center.screen_pop_on``) says which URL and
when: as an incoming call rings, or when the agent answers it. The caller's number (and the
other placeholders) are URL-encoded into the template. The server only accepts http and https
templates, and this client checks again before opening anything (a cached profile, or a
server that does not check, must never make the desktop open ``file:`` or ``javascript:``):
a template that fails is told on the message channel once and nothing opens.

Each call pops at most once. Opening goes through ``QDesktopServices.openUrl`` (the system's
default browser). Where the Qt platform plugin cannot open URLs (offscreen, eglfs kiosks), a
Linux desktop falls back to ``$BROWSER`` (the first program of the list) and then ``xdg-open``.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
from collections.abc import Callable

from PySide6.QtCore import QObject, QProcess, QUrl, Signal
from PySide6.QtGui import QDesktopServices

from communicator.core.calls import Call, CallDirection, CallId, CallState
from communicator.core.line_view import LineView
from communicator.core.messages import Message, MessageLevel, MessageSource
from communicator.provisioning.schema import CallCenterSettings, ScreenPopMoment
from communicator.provisioning.schema.call_center import check_screen_pop_template
from communicator.ui.i18n import translate
from communicator.ui.session import SessionModel

log = logging.getLogger(__name__)

UrlOpener = Callable[[QUrl], bool]

_ANSWERED_STATES = frozenset({CallState.CONNECTED, CallState.HELD})


def open_in_browser(url: QUrl) -> bool:
    """The system's default browser; on Linux, ``$BROWSER`` or ``xdg-open`` where Qt cannot."""
    if QDesktopServices.openUrl(url):
        return True
    if sys.platform in ("win32", "darwin"):
        return False
    text = url.toString(QUrl.ComponentFormattingOption.FullyEncoded)
    candidates = [b for b in os.environ.get("BROWSER", "").split(os.pathsep) if b.strip()]
    candidates.append("xdg-open")
    for candidate in candidates:
        words = candidate.split()
        program = shutil.which(words[0])
        if program is None:
            continue
        args = [w.replace("%s", text) for w in words[1:]]
        if not any("%s" in w for w in words[1:]):
            args.append(text)
        started, _pid = QProcess.startDetached(program, args)
        if started:
            return True
    return False


def safe_screen_pop_url(
    call_center: CallCenterSettings, call: Call, agent: str, extension: str
) -> str:
    """The URL to open for ``call``, or "" when the profile has none.

    Raises ValueError when the template is not an http(s) URL with known placeholders, or when
    the filled-in URL is not one (checked again here, whatever the server accepted)."""
    template = call_center.screen_pop_url
    if not template:
        return ""
    check_screen_pop_template(template)
    url = call_center.render_screen_pop(
        number=call.remote.number,
        name=call.remote.display_name,
        extension=extension,
        agent=agent,
        call_id=str(call.call_id),
        direction="inbound" if call.direction is CallDirection.INCOMING else "outbound",
    )
    if url is None:
        return ""
    parsed = QUrl(url, QUrl.ParsingMode.StrictMode)
    if (
        not parsed.isValid()
        or parsed.scheme().lower() not in ("http", "https")
        or not parsed.host()
    ):
        raise ValueError("the screen-pop address is not an http or https URL")
    return url


class ScreenPop(QObject):
    """Opens the screen pop for the calls of ``model`` as its profile says."""

    opened = Signal(str)
    """The URL just handed to the browser."""

    def __init__(
        self,
        model: SessionModel,
        *,
        open_url: UrlOpener | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._model = model
        self._open_url: UrlOpener = open_url or open_in_browser
        self._popped: set[CallId] = set()
        self._refused: str | None = None
        model.incoming_call.connect(self._ringing)
        model.lines_changed.connect(self._lines_changed)

    def _call_center(self) -> CallCenterSettings | None:
        signed_in = self._model.state.signed_in
        return signed_in.profile.call_center if signed_in is not None else None

    def _ringing(self, view: LineView) -> None:
        cc = self._call_center()
        if cc is not None and cc.screen_pop_on == ScreenPopMoment.RINGING and view.call:
            self._pop(cc, view.call)

    def _lines_changed(self, _old: object, new: tuple[LineView, ...]) -> None:
        present = {v.call_id for v in new if v.call_id is not None}
        self._popped &= present  # forget ended calls (ids are never reused)
        cc = self._call_center()
        if cc is None or cc.screen_pop_on != ScreenPopMoment.ANSWERED:
            return
        for view in new:
            call = view.call
            if (
                call is not None
                and call.direction is CallDirection.INCOMING
                and call.state in _ANSWERED_STATES
            ):
                self._pop(cc, call)

    def _pop(self, cc: CallCenterSettings, call: Call) -> None:
        if call.call_id in self._popped:
            return
        self._popped.add(call.call_id)
        signed_in = self._model.state.signed_in
        if signed_in is None:
            return
        session = signed_in.session
        try:
            url = safe_screen_pop_url(cc, call, session.login, str(session.extension))
        except ValueError as err:
            self._refuse(cc.screen_pop_url or "", str(err))
            return
        if not url:
            return
        log.info("screen pop for call %s", call.call_id)
        if self._open_url(QUrl(url, QUrl.ParsingMode.StrictMode)):
            self.opened.emit(url)
        else:
            self._model.post_message(
                Message(
                    MessageLevel.WARNING,
                    MessageSource.WORKSTATION,
                    translate(
                        "ScreenPop",
                        "The caller's record could not be opened: no web browser answered.",
                    ),
                )
            )

    def _refuse(self, template: str, why: str) -> None:
        log.warning("screen pop refused: %s", why)
        if self._refused == template:
            return  # said once per template
        self._refused = template
        self._model.post_message(
            Message(
                MessageLevel.WARNING,
                MessageSource.WORKSTATION,
                translate(
                    "ScreenPop",
                    "The caller's record was not opened: the screen-pop address in your "
                    "profile is not a web address this phone may open. Tell your administrator.",
                ),
            )
        )
