"""The sign-in window: server address, user name, password, "remember me", bound to the model.

It only gives `SessionModel.sign_in` (or `start_offline`, `cancel_sign_in`) and shows what the
model answers: ``signing_in_changed`` drives the progress row, ``sign_in_failed`` the message and
the focus (the field the agent has to fix), ``phone_choice_needed`` the hot-desk "Phone for this
session" choice (seed 004: this computer or a free desk phone). Nothing here blocks: the model
signs in on a worker thread. The window is light on purpose (no provisioning client, no pjsua2
imported here), so it can be shown before the rest of the application loads. For the same
reason it does not touch PySide6's ``Qt`` namespace, ``QAccessible`` or the translated failure
texts (`messages_i18n`, which loads the core's call modules) until it needs them: PySide6 builds
a type on its first use, and ``Qt``'s ~140 enums take ~30 ms, the failure texts ~40 ms, of a
~100 ms start of a bare PySide6 window (issue 14: the sign-in window within 1.3 times that).

When IT preset the server and forbids changing it (`SystemConfig.server_locked`), the address
shows the preset read-only (still focusable and readable by screen readers) with a line saying
why; whatever address the caller passed (remembered, command line) gives way to the preset.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QCloseEvent, QKeyEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from communicator.provisioning.settings import SystemConfig, load_system_config
from communicator.ui.i18n import translate

if TYPE_CHECKING:  # not at run time: the window shows before these load
    from communicator.ui.session import SessionModel
    from communicator.ui.sign_in import SignInFailure


def _describe(widget: QWidget, name: str, description: str) -> None:
    widget.setAccessibleName(name)
    widget.setAccessibleDescription(description)


def _focus(widget: QWidget) -> None:
    """Put the keyboard focus on ``widget`` (the window's doing, not the agent's)."""
    from PySide6.QtCore import Qt

    widget.setFocus(Qt.FocusReason.OtherFocusReason)


class SignInWindow(QWidget):
    """Signs the agent in through ``model``; the prefilled values come from the caller (the
    user's last sign-in, or the system configuration the installers write)."""

    closed = Signal()
    """The agent closed the window (the desktop quits when nobody is signed in)."""

    def __init__(
        self,
        model: SessionModel | None = None,
        *,
        server_url: str = "",
        login: str = "",
        remember: bool = False,
        system: SystemConfig | None = None,
        parent: QWidget | None = None,
    ) -> None:
        """``system``: the installers' preset (None: read it now, as the application does)."""
        super().__init__(parent)
        self.model: SessionModel | None = None
        self._submit_when_ready = False
        self.setWindowTitle(translate("SignInWindow", "Sign in - Communicator"))
        _describe(
            self,
            translate("SignInWindow", "Sign in to Communicator"),
            translate("SignInWindow", "Sign in to take and make calls"),
        )

        self.server_field = QLineEdit(server_url, self)
        self.server_field.setPlaceholderText("https://pbx.example.com")
        _describe(
            self.server_field,
            translate("SignInWindow", "Server address"),
            translate(
                "SignInWindow",
                "The address of your contact center's server, for example https://pbx.example.com",
            ),
        )
        self.server_note = QLabel(self)  # one line: a wrapped label in a form row is clipped
        self.server_note.hide()
        self.login_field = QLineEdit(login, self)
        _describe(
            self.login_field,
            translate("SignInWindow", "User name"),
            translate("SignInWindow", "Your agent user name"),
        )
        self.password_field = QLineEdit(self)
        self.password_field.setEchoMode(QLineEdit.EchoMode.Password)
        _describe(
            self.password_field,
            translate("SignInWindow", "Password"),
            translate("SignInWindow", "Your agent password"),
        )
        self.remember_box = QCheckBox(
            translate("SignInWindow", "&Remember me on this computer"), self
        )
        self.remember_box.setChecked(remember)
        _describe(
            self.remember_box,
            translate("SignInWindow", "Remember me"),
            translate(
                "SignInWindow", "Keep the password in this computer's keyring for the next sign-in"
            ),
        )

        self.phone_combo = QComboBox(self)
        _describe(
            self.phone_combo,
            translate("SignInWindow", "Phone for this session"),
            translate(
                "SignInWindow",
                "Where your calls ring until you sign out: this computer or a desk phone",
            ),
        )
        self.phone_label = QLabel(translate("SignInWindow", "P&hone for this session:"), self)
        self.phone_label.setBuddy(self.phone_combo)
        _describe(
            self.phone_label,
            translate("SignInWindow", "Phone for this session"),
            translate("SignInWindow", "Choose below, then press Enter"),
        )

        self.message_label = QLabel(self)
        self.message_label.setWordWrap(True)  # selectable once it has a message (show_message)
        _describe(self.message_label, translate("SignInWindow", "Sign-in message"), "")
        self.message_label.hide()

        self.progress = QProgressBar(self)
        self.progress.setRange(0, 0)  # busy: no percentage to show
        self.progress.setTextVisible(False)
        _describe(
            self.progress,
            translate("SignInWindow", "Signing in"),
            translate("SignInWindow", "Signing in: this can take a few seconds"),
        )
        self.progress_label = QLabel(translate("SignInWindow", "Signing in..."), self)
        _describe(
            self.progress_label,
            translate("SignInWindow", "Signing in"),
            translate("SignInWindow", "Signing in: this can take a few seconds"),
        )

        self.sign_in_button = QPushButton(translate("SignInWindow", "&Sign in"), self)
        self.sign_in_button.setDefault(True)
        _describe(
            self.sign_in_button,
            translate("SignInWindow", "Sign in"),
            translate("SignInWindow", "Sign in with the address, name and password"),
        )
        self.cancel_button = QPushButton(translate("SignInWindow", "&Cancel"), self)
        _describe(
            self.cancel_button,
            translate("SignInWindow", "Cancel sign-in"),
            translate("SignInWindow", "Stop signing in and change the details"),
        )
        self.offline_button = QPushButton(
            translate("SignInWindow", "Start with saved se&ttings"), self
        )
        _describe(
            self.offline_button,
            translate("SignInWindow", "Start with saved settings"),
            translate(
                "SignInWindow",
                "The server cannot be reached: start from the settings saved at your last "
                "sign-in on this computer (no live updates until the server is back)",
            ),
        )

        self._fields: dict[str, QLineEdit] = {  # by `SignInField` value
            "server": self.server_field,
            "login": self.login_field,
            "password": self.password_field,
        }
        self._layout()
        for button in (self.cancel_button, self.offline_button):
            button.setAutoDefault(True)  # Enter on a focused button presses it
        self.sign_in_button.clicked.connect(self.submit)
        self.cancel_button.clicked.connect(self.cancel)
        self.offline_button.clicked.connect(self.start_offline)
        self._end_choice()
        self.offline_button.hide()
        system = system if system is not None else load_system_config()
        if system.server_locked and system.server_url:
            self.lock_server(system.server_url)
        if model is not None:
            self.attach(model)

    def attach(self, model: SessionModel) -> None:
        """Bind to the session model (the application creates it after this window shows). A
        sign-in the agent asked for meanwhile starts now."""
        self.model = model
        model.signing_in_changed.connect(self._busy_changed)
        model.sign_in_failed.connect(self.show_failure)
        model.phone_choice_needed.connect(self.offer_phones)
        model.signed_in_changed.connect(lambda _old, _new: self._end_choice())
        self._busy_changed(False, model.state.signing_in)
        if self._submit_when_ready:
            self._submit_when_ready = False
            self.submit()

    def _layout(self) -> None:
        form = QFormLayout()
        for text, field in (
            (translate("SignInWindow", "Ser&ver address:"), self.server_field),
            (translate("SignInWindow", "&User name:"), self.login_field),
            (translate("SignInWindow", "&Password:"), self.password_field),
        ):
            label = QLabel(text, self)
            label.setBuddy(field)
            form.addRow(label, field)
            if field is self.server_field:
                form.addRow("", self.server_note)
        form.addRow("", self.remember_box)
        form.addRow(self.phone_label, self.phone_combo)
        progress_row = QHBoxLayout()
        progress_row.addWidget(self.progress_label)
        progress_row.addWidget(self.progress, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.offline_button)
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.sign_in_button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.message_label)
        layout.addLayout(progress_row)
        layout.addLayout(buttons)
        order = [
            self.server_field,
            self.login_field,
            self.password_field,
            self.remember_box,
            self.phone_combo,
            self.sign_in_button,
            self.cancel_button,
            self.offline_button,
        ]
        for first, second in itertools.pairwise(order):
            QWidget.setTabOrder(first, second)
        self.setMinimumWidth(420)

    def lock_server(self, url: str) -> None:
        """Show IT's preset ``url`` read-only: the agent cannot sign in anywhere else."""
        from PySide6.QtGui import QPalette

        self.server_field.setText(url)
        self.server_field.setReadOnly(True)
        palette = self.server_field.palette()  # looks fixed, not like a field to type in
        palette.setColor(QPalette.ColorRole.Base, palette.color(QPalette.ColorRole.Window))
        self.server_field.setPalette(palette)
        note = translate(
            "SignInWindow",
            "Set by your IT department; it cannot be changed here.",
        )
        self.server_note.setText(note)
        self.server_note.show()
        self.server_field.setToolTip(note)
        _describe(
            self.server_field,
            translate("SignInWindow", "Server address (set by IT)"),
            f"{url}. {note}",
        )

    @property
    def server_locked(self) -> bool:
        return self.server_field.isReadOnly()

    # ------------------------------------------------------------------ what the agent does

    @property
    def server_url(self) -> str:
        return self.server_field.text().strip()

    @property
    def login(self) -> str:
        return self.login_field.text().strip()

    @property
    def remember(self) -> bool:
        return self.remember_box.isChecked()

    def set_password(self, password: str) -> None:
        """Fill in a remembered password (from the keyring)."""
        self.password_field.setText(password)

    def first_field(self) -> QLineEdit:
        """Where the agent starts typing: the first empty field (the password when the rest
        is prefilled)."""
        for field in (self.server_field, self.login_field):
            if not field.text().strip():
                return field
        return self.password_field

    def submit(self) -> None:
        """Sign in (Enter in any field, or the Sign in button)."""
        self.clear_message()
        if self.model is None:  # still starting: sign in as soon as the phone is ready
            self._submit_when_ready = True
            self._busy_changed(False, True)
            return
        if self.model.state.signing_in:
            return
        if self.choosing:
            self.model.choose_phone(self.phone_combo.currentData())
            return
        self.model.sign_in(
            self.server_url,
            self.login,
            self.password_field.text(),
            remember=self.remember,
        )

    @property
    def choosing(self) -> bool:
        """Hot desk: the password was accepted and the agent picks the phone."""
        return self.model is not None and bool(self.model.phone_choices)

    def offer_phones(self, phones: tuple[Any, ...]) -> None:
        """The "Phone for this session" choice: this computer, then each free desk phone
        (`DeskPhone`); Enter confirms the one shown."""
        self.phone_combo.clear()
        self.phone_combo.addItem(translate("SignInWindow", "This computer"), None)
        for phone in phones:
            self.phone_combo.addItem(phone.label, phone.id)
        self.phone_label.show()
        self.phone_combo.show()
        self.sign_in_button.setText(translate("SignInWindow", "C&ontinue"))
        _describe(
            self.sign_in_button,
            translate("SignInWindow", "Continue"),
            translate("SignInWindow", "Start with the phone chosen for this session"),
        )
        self.show_message(
            translate("SignInWindow", "Choose the phone for this session, then press Enter.")
        )
        self._busy_changed(False, False)
        _focus(self.phone_combo)

    def _end_choice(self) -> None:
        self.phone_label.hide()
        self.phone_combo.hide()
        self.phone_combo.clear()
        self.sign_in_button.setText(translate("SignInWindow", "&Sign in"))
        _describe(
            self.sign_in_button,
            translate("SignInWindow", "Sign in"),
            translate("SignInWindow", "Sign in with the address, name and password"),
        )
        self._busy_changed(False, False if self.model is None else self.model.state.signing_in)

    def cancel(self) -> None:
        self._submit_when_ready = False
        if self.model is not None:
            self.model.cancel_sign_in()
        self._end_choice()
        self._busy_changed(True, False if self.model is None else self.model.state.signing_in)
        self.show_message(translate("SignInWindow", "Sign-in cancelled."))
        _focus(self.first_field())

    def start_offline(self) -> None:
        self.clear_message()
        if self.model is not None:
            self.model.start_offline(self.server_url, self.login, self.password_field.text())

    # ------------------------------------------------------------------ what the model says

    def show_failure(self, failure: SignInFailure) -> None:
        from communicator.ui.messages_i18n import failure_text

        self.offline_button.setVisible(failure.offline_possible)
        text = failure_text(failure)
        if failure.offline_possible:
            text += translate(
                "SignInWindow", " You can start with the settings saved at your last sign-in here."
            )
        self.show_message(text, problem=True)
        field = self._fields.get(failure.field.value)
        if failure.field.value == "phone" and self.choosing:  # taken: choose another
            _focus(self.phone_combo)
        elif not self.choosing and failure.field.value == "phone":
            self._end_choice()  # the session ended meanwhile: sign in again
            _focus(self.first_field())
        elif field is not None:
            _focus(field)
            field.selectAll()
        elif failure.offline_possible:
            _focus(self.offline_button)
        else:  # nothing typed is wrong (no free number...): Enter tries again
            _focus(self.sign_in_button)

    def show_message(self, text: str, *, problem: bool = False) -> None:
        """A line for the agent under the fields (also: why they were signed out)."""
        from PySide6.QtCore import Qt
        from PySide6.QtGui import QAccessible, QAccessibleEvent

        self.message_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message_label.setText(text)
        self.message_label.setAccessibleDescription(text)
        self.message_label.setStyleSheet("color: #b00020;" if problem else "")
        self.message_label.show()
        if problem:  # screen readers announce it without the agent looking for it
            QAccessible.updateAccessibility(
                QAccessibleEvent(self.message_label, QAccessible.Event.Alert)
            )

    def clear_message(self) -> None:
        self.message_label.clear()
        self.message_label.setAccessibleDescription("")
        self.message_label.hide()
        self.offline_button.hide()

    def _busy_changed(self, _old: object, busy: object) -> None:
        busy = bool(busy)
        choosing = self.choosing
        self.progress.setVisible(busy)
        self.progress_label.setVisible(busy)
        self.cancel_button.setVisible(busy or choosing)
        self.sign_in_button.setEnabled(not busy)
        for widget in (*self._fields.values(), self.remember_box):
            widget.setEnabled(not busy and not choosing)
        self.phone_combo.setEnabled(not busy)
        if busy:
            self.offline_button.hide()
            _focus(self.cancel_button)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt's name)
        """Enter anywhere the focused control does not take it (fields, the checkbox)."""
        from PySide6.QtCore import Qt

        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not (
            self.model is not None and self.model.state.signing_in
        ):
            self.submit()
            return
        super().keyPressEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt's name)
        super().closeEvent(event)
        self.closed.emit()
