"""Call links handed to the desktop (the command line, a second launch): dial, or fill the field.

A link given before the agent has signed in waits for the sign-in; with "links dial" on it then
waits for the phone to be able to call (registered, a free line) and dials at once, otherwise
it fills the main window's number field and brings the window up for the agent to press Call.
A link that does not parse dials nothing: the reason goes to the model's message channel (kept
until the model exists, for a link on the command line).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from communicator.core.links import CallLink, LinkError, parse_link
from communicator.core.messages import Message, MessageLevel, MessageSource
from communicator.ui.messages_i18n import message_text

if TYPE_CHECKING:
    from communicator.ui.desktop.main_window import MainWindow
    from communicator.ui.session import SessionModel

log = logging.getLogger(__name__)


class CallLinks(QObject):
    dialled = Signal(object)
    """The `CallLink` whose call was placed."""
    filled = Signal(object)
    """The `CallLink` put in the number field."""
    refused = Signal(str)
    """A link that could not be read, with the agent's message."""

    def __init__(self, *, dial: bool = False, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.dial_at_once = dial
        self._model: SessionModel | None = None
        self._window: MainWindow | None = None
        self._pending: CallLink | None = None
        self._untold: list[Message] = []

    def attach(self, model: SessionModel, window: MainWindow) -> None:
        self._model, self._window = model, window
        for changed in (
            model.signed_in_changed,
            model.registration_changed,
            model.static_ip_changed,
            model.can_place_call_changed,
        ):
            changed.connect(lambda _old, _new: self._try())
        for message in self._untold:
            model.post_message(message)
        self._untold.clear()
        self._try()

    @property
    def pending(self) -> CallLink | None:
        """The link waiting for the sign-in or the phone."""
        return self._pending

    def open(self, text: str) -> None:
        """Open one link (the latest one wins over one still waiting)."""
        try:
            link = parse_link(text)
        except LinkError as err:
            log.info("call link refused: %s", err)
            said = err.notice  # by its code: in the agent's language
            message = Message(
                MessageLevel.WARNING, MessageSource.AGENT, said.text, said.code, said.params
            )
            self._post(message)
            self.refused.emit(message_text(message))
            return
        self._pending = link
        self._try()

    def _post(self, message: Message) -> None:
        if self._model is None:
            self._untold.append(message)
        else:
            self._model.post_message(message)

    def _try(self) -> None:
        link, model, window = self._pending, self._model, self._window
        if link is None or model is None or window is None:
            return
        state = model.state
        if state.signed_in is None or state.signing_out:
            return
        if not self.dial_at_once:
            self._pending = None
            window.dial.number.setText(link.target)
            window.dial.focus_number()
            self.filled.emit(link)
            return
        if not state.registered:
            return  # dialled once the phone is registered (with every line busy, the model
            # refuses it and says so)
        self._pending = None
        if model.place_call(link.target) is not None:
            self.dialled.emit(link)
