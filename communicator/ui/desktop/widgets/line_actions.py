"""The in-call actions for the selected line, each enabled exactly when the model's
`LineView.allowed` has its operation: answer, decline, hang up, hold, resume, switch to, swap,
mute, keypad, transfer, consult (then complete or cancel), conference and split.

Transfer, consult and "add to conference" ask whom through the `TargetPicker` (directory,
history, or a typed number). "Add to conference" consults the chosen party and joins the two
calls as soon as the consultation is answered."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QPushButton, QWidget

from communicator.core.calls import CallId, CallState
from communicator.core.line_view import LineView
from communicator.core.lines import Operation
from communicator.ui.desktop.shortcuts import Action
from communicator.ui.desktop.widgets.common import action_button, describe
from communicator.ui.desktop.widgets.dial_pad import DtmfKeypad
from communicator.ui.desktop.widgets.lines_table import LinesTable
from communicator.ui.desktop.widgets.target_picker import TargetPicker
from communicator.ui.i18n import QT_TRANSLATE_NOOP, translate
from communicator.ui.session import SessionModel

# name, description (both in English: shown through translate("LineActions", ...)), icon,
# operation, shortcut
_BUTTONS: tuple[tuple[str, str, str, Operation | None, Action | None], ...] = (
    (
        QT_TRANSLATE_NOOP("LineActions", "Answer"),
        QT_TRANSLATE_NOOP("LineActions", "Answer the selected ringing call"),
        "answer",
        Operation.ANSWER,
        Action.ANSWER,
    ),
    (
        QT_TRANSLATE_NOOP("LineActions", "Decline"),
        QT_TRANSLATE_NOOP("LineActions", "Decline the selected ringing call"),
        "decline",
        Operation.REJECT,
        Action.DECLINE,
    ),
    (
        QT_TRANSLATE_NOOP("LineActions", "Hang up"),
        QT_TRANSLATE_NOOP("LineActions", "End the selected call"),
        "hang-up",
        Operation.HANGUP,
        Action.HANG_UP,
    ),
    (
        QT_TRANSLATE_NOOP("LineActions", "Hold"),
        QT_TRANSLATE_NOOP("LineActions", "Put the selected call on hold"),
        "hold",
        Operation.HOLD,
        Action.HOLD,
    ),
    (
        QT_TRANSLATE_NOOP("LineActions", "Resume"),
        QT_TRANSLATE_NOOP("LineActions", "Take the selected call off hold"),
        "resume",
        Operation.RESUME,
        Action.HOLD,
    ),
    (
        QT_TRANSLATE_NOOP("LineActions", "Switch to"),
        QT_TRANSLATE_NOOP("LineActions", "Talk on the selected line (the other call is held)"),
        "swap",
        Operation.ACTIVATE,
        None,
    ),
    (
        QT_TRANSLATE_NOOP("LineActions", "Swap"),
        QT_TRANSLATE_NOOP("LineActions", "Hold the active call and resume the held one"),
        "swap",
        None,
        Action.SWAP,
    ),
    (
        QT_TRANSLATE_NOOP("LineActions", "Mute"),
        QT_TRANSLATE_NOOP("LineActions", "Turn your microphone off or on for this call"),
        "mute",
        Operation.MUTE,
        Action.MUTE,
    ),
    (
        QT_TRANSLATE_NOOP("LineActions", "Keypad"),
        QT_TRANSLATE_NOOP("LineActions", "Show the keypad to send tones"),
        "keypad",
        Operation.DTMF,
        Action.KEYPAD,
    ),
    (
        QT_TRANSLATE_NOOP("LineActions", "Transfer"),
        QT_TRANSLATE_NOOP("LineActions", "Transfer the call to someone (blind transfer)"),
        "transfer",
        Operation.BLIND_TRANSFER,
        Action.TRANSFER,
    ),
    (
        QT_TRANSLATE_NOOP("LineActions", "Consult"),
        QT_TRANSLATE_NOOP("LineActions", "Call someone first, then transfer (attended transfer)"),
        "consult",
        Operation.START_CONSULT,
        Action.CONSULT,
    ),
    (
        QT_TRANSLATE_NOOP("LineActions", "Complete transfer"),
        QT_TRANSLATE_NOOP("LineActions", "Connect the caller with the person you consulted"),
        "complete",
        Operation.COMPLETE_TRANSFER,
        None,
    ),
    (
        QT_TRANSLATE_NOOP("LineActions", "Cancel consult"),
        QT_TRANSLATE_NOOP("LineActions", "End the consultation and go back to the caller"),
        "cancel",
        Operation.CANCEL_CONSULT,
        None,
    ),
    (
        QT_TRANSLATE_NOOP("LineActions", "Conference"),
        QT_TRANSLATE_NOOP("LineActions", "Join this call and the other one into a conference"),
        "conference",
        Operation.CONFERENCE,
        Action.CONFERENCE,
    ),
    (
        QT_TRANSLATE_NOOP("LineActions", "Add to conference"),
        QT_TRANSLATE_NOOP("LineActions", "Call someone and add them to this call"),
        "conference",
        Operation.START_CONSULT,
        None,
    ),
    (
        QT_TRANSLATE_NOOP("LineActions", "Split"),
        QT_TRANSLATE_NOOP("LineActions", "End the conference; keep talking to this caller"),
        "split",
        Operation.SPLIT,
        None,
    ),
)


class LineActions(QWidget):
    def __init__(
        self,
        model: SessionModel,
        table: LinesTable,
        picker: TargetPicker,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._model = model
        self._table = table
        self._picker = picker
        self._join_when_answered: tuple[CallId, CallId] | None = None
        self.buttons: dict[str, QPushButton] = {}
        self.operations: dict[str, Operation | None] = {}
        grid = QGridLayout()
        grid.setContentsMargins(0, 0, 0, 0)
        for index, (name, description, icon_name, operation, action) in enumerate(_BUTTONS):
            button = action_button(
                translate("LineActions", name),
                translate("LineActions", description),
                icon_name,
                action,
                self,
            )
            grid.addWidget(button, index // 4, index % 4)
            self.buttons[name] = button
            self.operations[name] = operation
        self.buttons["Mute"].setCheckable(True)
        self.buttons["Keypad"].setCheckable(True)
        self.keypad = DtmfKeypad(model, self)
        handlers: dict[str, Callable[[], None]] = {
            "Answer": self.answer_selected,
            "Decline": lambda: self._on_call(model.reject),
            "Hang up": self.hang_up,
            "Hold": lambda: self._on_call(model.hold),
            "Resume": lambda: self._on_call(model.resume),
            "Switch to": lambda: model.switch_line(table.selected_number),
            "Swap": model.swap,
            "Mute": self.toggle_mute,
            "Keypad": self.toggle_keypad,
            "Transfer": self.transfer,
            "Consult": self.consult,
            "Complete transfer": lambda: self._on_call(model.complete_transfer),
            "Cancel consult": lambda: self._on_call(model.cancel_consult),
            "Conference": self.conference,
            "Add to conference": self.add_to_conference,
            "Split": lambda: self._on_call(model.split_conference),
        }
        for name, handler in handlers.items():
            self.buttons[name].clicked.connect(lambda _=False, h=handler: h())
        # The keypad beside the buttons, not under them: the window keeps fitting a 768-pixel
        # screen (at 150 % too) while it is open.
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(grid, 1)
        layout.addWidget(self.keypad, 0, Qt.AlignmentFlag.AlignTop)
        describe(
            self,
            translate("LineActions", "Call actions"),
            translate("LineActions", "What you can do with the selected line's call"),
        )
        table.selected_changed.connect(lambda _n: self._update())
        model.lines_changed.connect(lambda _old, _new: self._lines_changed())
        self._update()

    # ------------------------------------------------------------------ reading

    def enabled_operations(self) -> frozenset[Operation]:
        """The operations whose buttons are enabled now."""
        return frozenset(
            op for name, op in self.operations.items()
            if op is not None and self.buttons[name].isEnabled()
        )  # fmt: skip

    def _selected(self) -> LineView | None:
        return self._table.selected_view()

    def _on_call(self, command: Callable[[CallId], None]) -> None:
        view = self._selected()
        if view is not None and view.call_id is not None:
            command(view.call_id)

    # ------------------------------------------------------------------ commands (also shortcuts)

    def answer_selected(self) -> None:
        """Answer the selected line if it rings, else the first ringing line."""
        view = self._selected()
        if view is None or not view.ringing_in:
            view = next((v for v in self._model.state.lines if v.ringing_in), view)
        if view is not None and view.call_id is not None:
            self._model.answer(view.call_id)

    def decline(self) -> None:
        view = self._selected()
        if view is None or not view.ringing_in:
            view = next((v for v in self._model.state.lines if v.ringing_in), view)
        if view is not None and view.call_id is not None:
            self._model.reject(view.call_id)

    def hang_up(self) -> None:
        self._on_call(self._model.hangup)

    def toggle_hold(self) -> None:
        view = self._selected()
        if view is None or view.call_id is None:
            return
        if view.can(Operation.RESUME):
            self._model.resume(view.call_id)
        else:
            self._model.hold(view.call_id)

    def toggle_mute(self) -> None:
        view = self._selected()
        if view is not None and view.call_id is not None:
            self._model.set_mute(view.call_id, not view.muted)
        self._update()

    def toggle_keypad(self) -> None:
        shown = self.keypad.isHidden() and self._can(Operation.DTMF)
        self.keypad.setVisible(shown)
        self.buttons["Keypad"].setChecked(shown)
        if shown:
            self.keypad.pad.buttons["1"].setFocus()

    def transfer(self) -> None:
        view = self._selected()
        if view is None or view.call_id is None:
            return
        call_id = view.call_id
        self._picker.ask(
            translate("LineActions", "Transfer the call on line {line} to:").format(
                line=view.number
            ),
            translate("LineActions", "Transfer"),
            lambda dial: self._model.blind_transfer(call_id, dial),
        )

    def consult(self) -> None:
        view = self._selected()
        if view is None or view.call_id is None:
            return
        call_id = view.call_id
        self._picker.ask(
            translate("LineActions", "Consult someone about the call on line {line}:").format(
                line=view.number
            ),
            translate("LineActions", "Consult"),
            lambda dial: self._start_consult(call_id, dial, join=False),
        )

    def add_to_conference(self) -> None:
        view = self._selected()
        if view is None or view.call_id is None:
            return
        call_id = view.call_id
        self._picker.ask(
            translate("LineActions", "Add someone to the call on line {line}:").format(
                line=view.number
            ),
            translate("LineActions", "Add"),
            lambda dial: self._start_consult(call_id, dial, join=True),
        )

    def conference(self) -> None:
        """Join the selected call with the other call on the lines (or ask whom to add)."""
        view = self._selected()
        if view is None or view.call_id is None:
            return
        partner = next(
            (
                v for v in self._model.state.lines
                if v.call_id not in (None, view.call_id) and v.can(Operation.CONFERENCE)
            ),
            None,
        )  # fmt: skip
        if partner is not None and partner.call_id is not None and view.can(Operation.CONFERENCE):
            self._model.conference(view.call_id, partner.call_id)
        elif view.can(Operation.START_CONSULT):
            self.add_to_conference()

    def _start_consult(self, call_id: CallId, dial: str, *, join: bool) -> None:
        consult = self._model.start_consult(call_id, dial)
        if consult is not None:
            self._join_when_answered = (call_id, consult) if join else None
            self._table.select_line(self._line_of(consult))

    # ------------------------------------------------------------------ showing

    def _line_of(self, call_id: CallId) -> int:
        view = self._model.view_of(call_id)
        return view.number if view is not None else self._table.selected_number

    def _can(self, operation: Operation) -> bool:
        view = self._selected()
        return view is not None and view.can(operation)

    def _lines_changed(self) -> None:
        pending = self._join_when_answered
        if pending is not None:
            original, consult = (self._model.view_of(c) for c in pending)
            if original is None or consult is None:
                self._join_when_answered = None
            elif consult.call is not None and consult.call.state is CallState.CONNECTED:
                self._join_when_answered = None
                if consult.can(Operation.CONFERENCE) and original.can(Operation.CONFERENCE):
                    self._model.conference(pending[0], pending[1])
        self._update()

    def _update(self) -> None:
        view = self._selected()
        allowed = view.allowed if view is not None else frozenset()
        for name, operation in self.operations.items():
            if operation is not None:
                self.buttons[name].setEnabled(operation in allowed)
        lines = self._model.state.lines
        self.buttons["Swap"].setEnabled(
            any(v.can(Operation.HOLD) for v in lines)
            and any(v.can(Operation.RESUME) for v in lines)
        )
        muted = view is not None and view.muted
        mute = self.buttons["Mute"]
        mute.setChecked(muted)
        mute.setText(
            translate("LineActions", "Unmute") if muted else translate("LineActions", "Mute")
        )
        describe(mute, mute.text(), mute.toolTip())
        self.keypad.follow_line(self._table.selected_number)
        if not self._can(Operation.DTMF) and not self.keypad.isHidden():
            self.keypad.setVisible(False)
            self.buttons["Keypad"].setChecked(False)
