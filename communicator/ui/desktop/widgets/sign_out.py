"""Sign out, from the main window: at a hot desk the agent leaves the workstation for the next.

Signing out ends every call on the phone, so with calls up the agent confirms first (a window-
modal question opened with ``open()``, never a nested event loop: SIP keeps running while it
shows). The session model does the rest (unregister, give waiting call logs a few seconds, end
the server session) and the desktop goes back to the sign-in window when ``signed_out`` comes.
"""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QPushButton, QWidget

from communicator.ui.desktop.icons import icon
from communicator.ui.desktop.widgets.common import ICON_SIZE, describe
from communicator.ui.i18n import translate
from communicator.ui.session import SessionModel


def calls_up(model: SessionModel) -> int:
    return sum(1 for view in model.state.lines if view.call is not None)


class SignOutButton(QPushButton):
    def __init__(self, model: SessionModel, parent: QWidget | None = None) -> None:
        super().__init__(translate("SignOutAction", "Sign out"), parent)
        tip = translate(
            "SignOutAction", "Sign out of Communicator on this computer (ends your calls)"
        )
        self.setIcon(icon("sign-out"))
        self.setIconSize(ICON_SIZE)
        self.setToolTip(tip)
        describe(self, translate("SignOutAction", "Sign out"), tip)
        self._model = model
        self.confirm: QMessageBox | None = None
        """The question shown while calls are up (None when not asking)."""
        self.clicked.connect(self.request)
        model.signing_out_changed.connect(lambda _old, _new: self._update())
        model.signed_in_changed.connect(lambda _old, _new: self._update())
        self._update()

    def _update(self) -> None:
        state = self._model.state
        self.setEnabled(state.signed_in is not None and not state.signing_out)

    def request(self) -> None:
        """Sign out now, or ask first when that would end calls."""
        count = calls_up(self._model)
        if not count:
            self._model.sign_out()
            return
        if self.confirm is not None:
            self.confirm.raise_()
            return
        box = QMessageBox(
            QMessageBox.Icon.Question,
            translate("SignOutAction", "Sign out?"),
            translate("SignOutAction", "Signing out ends your call. Sign out?")
            if count == 1
            else translate(
                "SignOutAction", "Signing out ends your calls ({count}). Sign out?"
            ).format(count=count),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            self.window(),
        )
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.setAccessibleName(translate("SignOutAction", "Sign out?"))
        box.finished.connect(lambda result: self._answered(box, result))
        self.confirm = box
        box.open()

    def _answered(self, box: QMessageBox, result: int) -> None:
        self.confirm = None
        box.deleteLater()
        if result == QMessageBox.StandardButton.Yes.value:
            self._model.sign_out()
