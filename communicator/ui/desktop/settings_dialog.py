"""The Settings dialog: sound (devices, preference list, ringing, tests, meter, volumes) and
general choices (tray, start-up, links, SIP trace, language), plus the About box.

It binds to the session model for what the phone does now (the device lists, ``choose_devices``
and ``set_volumes``) and to `AudioExtras` for the rest of the sound (None without sound: the
sound controls are disabled). OK and Apply apply the sound at once and emit ``applied`` with the
new `UserSettings`; the owner saves them and applies the general choices
(`settings_actions.SettingsActions`). A general choice the admin fixed in the profile (its
desktop section, issue 16) shows the fixed value, disabled, "Set by your administrator", and
follows a profile pushed while the dialog is open; the agent's own value of it is kept.
"""

from __future__ import annotations

import html
from collections.abc import Mapping

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractButton,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSlider,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from communicator.provisioning.settings import UserSettings
from communicator.provisioning.settings_pushed import fixed_settings
from communicator.ui.audio_extras import AudioExtras
from communicator.ui.desktop.widgets.common import describe
from communicator.ui.i18n import QT_TRANSLATE_NOOP, translate
from communicator.ui.session import SessionModel

SYSTEM_DEFAULT = QT_TRANSLATE_NOOP("SettingsDialog", "System default")
SET_BY_ADMIN = QT_TRANSLATE_NOOP("SettingsDialog", "Set by your administrator")
LANGUAGES = (
    ("system", QT_TRANSLATE_NOOP("SettingsDialog", "System")),
    ("en", "English"),  # each language in its own words, whatever the windows speak
    ("pl", "Polski"),
)
METER_MS = 100
METER_FLOOR_DB = -60


def _button(text: str, description: str, parent: QWidget) -> QPushButton:
    return describe(QPushButton(text, parent), text.replace("&", ""), description)


def _check(text: str, description: str, parent: QWidget) -> QCheckBox:
    return describe(QCheckBox(text, parent), text, description)


class SettingsDialog(QDialog):
    applied = Signal(object)
    """The new `UserSettings` (OK or Apply)."""

    def __init__(
        self,
        model: SessionModel,
        settings: UserSettings,
        *,
        extras: AudioExtras | None = None,
        versions: Mapping[str, str] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.model = model
        self.extras = extras
        self.settings = settings
        self.versions = dict(versions or {})
        self.setWindowTitle(translate("SettingsDialog", "Communicator settings"))
        describe(
            self,
            translate("SettingsDialog", "Settings"),
            translate("SettingsDialog", "Sound devices, ringing, start-up and other settings"),
        )
        self.tabs = describe(
            QTabWidget(self),
            translate("SettingsDialog", "Settings pages"),
            translate("SettingsDialog", "Sound, and general settings"),
        )
        self.tabs.addTab(self._audio_page(), translate("SettingsDialog", "&Sound"))
        self.tabs.addTab(self._general_page(), translate("SettingsDialog", "&General"))
        # A screen reader reads each tab's tooltip as its description.
        self.tabs.setTabToolTip(
            0, translate("SettingsDialog", "Sound devices, ringing, tests and volumes")
        )
        self.tabs.setTabToolTip(
            1, translate("SettingsDialog", "Tray, start-up, call links, SIP trace, language, About")
        )
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok
            | QDialogButtonBox.StandardButton.Cancel
            | QDialogButtonBox.StandardButton.Apply,
            self,
        )
        for which, text in (
            (
                QDialogButtonBox.StandardButton.Ok,
                translate("SettingsDialog", "Save the settings and close"),
            ),
            (
                QDialogButtonBox.StandardButton.Cancel,
                translate("SettingsDialog", "Close without saving"),
            ),
            (
                QDialogButtonBox.StandardButton.Apply,
                translate("SettingsDialog", "Save the settings"),
            ),
        ):
            button = self.buttons.button(which)
            describe(button, button.text().replace("&", ""), text)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.buttons.clicked.connect(self._clicked)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addWidget(self.buttons)
        self._meter = QTimer(self)
        self._meter.timeout.connect(self._read_meter)
        self._fixed: dict[str, bool] = {}
        self._fill()
        model.audio_changed.connect(lambda _old, _new: self._fill_devices())
        model.signed_in_changed.connect(self._profile_changed)

    # ------------------------------------------------------------------ pages

    def _audio_page(self) -> QWidget:
        page = QWidget(self)
        form = QFormLayout(page)
        self.microphone = describe(
            QComboBox(page),
            translate("SettingsDialog", "Microphone"),
            translate("SettingsDialog", "The microphone for calls"),
        )
        self.speaker = describe(
            QComboBox(page),
            translate("SettingsDialog", "Speaker"),
            translate("SettingsDialog", "Where you hear calls"),
        )
        self.ringer = describe(
            QComboBox(page),
            translate("SettingsDialog", "Ringer"),
            translate("SettingsDialog", "Where incoming calls ring"),
        )
        form.addRow(translate("SettingsDialog", "&Microphone:"), self.microphone)
        form.addRow(translate("SettingsDialog", "S&peaker:"), self.speaker)
        form.addRow(translate("SettingsDialog", "&Ringer:"), self.ringer)

        self.preferences = describe(
            QListWidget(page),
            translate("SettingsDialog", "Device preference"),
            translate(
                "SettingsDialog",
                "Devices to use first when present, in order; * matches anything; "
                "'default' is the system default",
            ),
        )
        self.preference_entry = describe(
            QLineEdit(page),
            translate("SettingsDialog", "New preference"),
            translate("SettingsDialog", "A device name or pattern, such as Jabra*"),
        )
        self.preference_entry.setPlaceholderText("Jabra*")
        self.preference_entry.installEventFilter(self)
        self.add_preference = _button(
            translate("SettingsDialog", "&Add"),
            translate("SettingsDialog", "Add the pattern to the preference list"),
            page,
        )
        self.remove_preference = _button(
            translate("SettingsDialog", "Remo&ve"),
            translate("SettingsDialog", "Remove the selected pattern"),
            page,
        )
        self.up_preference = _button(
            translate("SettingsDialog", "U&p"),
            translate("SettingsDialog", "Move the selected pattern up"),
            page,
        )
        self.down_preference = _button(
            translate("SettingsDialog", "Do&wn"),
            translate("SettingsDialog", "Move the selected pattern down"),
            page,
        )
        self.add_preference.clicked.connect(self._add_preference)
        self.remove_preference.clicked.connect(self._remove_preference)
        self.up_preference.clicked.connect(lambda: self._move_preference(-1))
        self.down_preference.clicked.connect(lambda: self._move_preference(1))
        row = QHBoxLayout()
        row.addWidget(self.preference_entry, 1)
        for button in (
            self.add_preference,
            self.remove_preference,
            self.up_preference,
            self.down_preference,
        ):
            row.addWidget(button)
        form.addRow(translate("SettingsDialog", "Device &preference:"), self.preferences)
        form.addRow("", row)

        self.ring_both = _check(
            translate("SettingsDialog", "Ring on the speaker too"),
            translate("SettingsDialog", "Incoming calls ring on the ringer and the speaker"),
            page,
        )
        form.addRow("", self.ring_both)
        self.test_speaker = _button(
            translate("SettingsDialog", "Test s&peaker"),
            translate("SettingsDialog", "Play two beeps on the speaker"),
            page,
        )
        self.test_ringer = _button(
            translate("SettingsDialog", "Test ri&nger"),
            translate("SettingsDialog", "Ring for a few seconds on the ringer"),
            page,
        )
        self.test_speaker.clicked.connect(self._test_speaker)
        self.test_ringer.clicked.connect(self._test_ringer)
        tests = QHBoxLayout()
        tests.addWidget(self.test_speaker)
        tests.addWidget(self.test_ringer)
        tests.addStretch(1)
        form.addRow(translate("SettingsDialog", "Tests:"), tests)
        self.level = describe(
            QProgressBar(page),
            translate("SettingsDialog", "Microphone level"),
            translate("SettingsDialog", "How loud the microphone hears you now"),
        )
        self.level.setRange(METER_FLOOR_DB, 0)
        self.level.setFormat("%v dB")
        form.addRow(translate("SettingsDialog", "Microphone level:"), self.level)
        self.ring_volume = self._slider(
            page,
            translate("SettingsDialog", "Ring volume"),
            translate("SettingsDialog", "How loud calls ring"),
        )
        self.call_volume = self._slider(
            page,
            translate("SettingsDialog", "Call volume"),
            translate("SettingsDialog", "How loud you hear calls"),
        )
        form.addRow(translate("SettingsDialog", "Ring &volume:"), self.ring_volume)
        form.addRow(translate("SettingsDialog", "&Call volume:"), self.call_volume)
        if self.extras is None:
            for widget in (
                self.ring_both,
                self.test_speaker,
                self.test_ringer,
                self.preferences,
                self.preference_entry,
                self.add_preference,
                self.remove_preference,
                self.up_preference,
                self.down_preference,
            ):
                widget.setEnabled(False)
        return page

    @staticmethod
    def _slider(parent: QWidget, name: str, description: str) -> QSlider:
        slider = describe(QSlider(Qt.Orientation.Horizontal, parent), name, description)
        slider.setRange(0, 100)
        slider.setPageStep(10)
        return slider

    def _general_page(self) -> QWidget:
        page = QWidget(self)
        form = QFormLayout(page)
        self.close_to_tray = _check(
            translate("SettingsDialog", "Closing the window keeps Communicator in the tray"),
            translate(
                "SettingsDialog", "Calls still ring with the window closed; quit from the tray icon"
            ),
            page,
        )
        self.start_minimised = _check(
            translate("SettingsDialog", "Start minimised"),
            translate("SettingsDialog", "Start in the tray without showing the window"),
            page,
        )
        self.start_at_login = _check(
            translate("SettingsDialog", "Start when I log in"),
            translate("SettingsDialog", "Communicator starts with your desktop session"),
            page,
        )
        self.links = describe(
            QComboBox(page),
            translate("SettingsDialog", "Call links"),
            translate("SettingsDialog", "What a sip: or tel: link does when you open it"),
        )
        self.links.addItem(translate("SettingsDialog", "Fill the number field"), False)
        self.links.addItem(translate("SettingsDialog", "Dial at once"), True)
        self.sip_trace = _check(
            translate("SettingsDialog", "Log SIP messages for support"),
            translate("SettingsDialog", "Support may ask for this; the log never holds passwords"),
            page,
        )
        self.language = describe(
            QComboBox(page),
            translate("SettingsDialog", "Language"),
            translate("SettingsDialog", "The language of the windows (after a restart)"),
        )
        for code, label in LANGUAGES:
            self.language.addItem(
                translate("SettingsDialog", label) if code == "system" else label, code
            )
        self.about = _button(
            translate("SettingsDialog", "&About Communicator"),
            translate("SettingsDialog", "Versions of Communicator and its parts"),
            page,
        )
        self.about.clicked.connect(self.show_about)
        self._fixable: dict[str, QWidget] = {
            "close_to_tray": self.close_to_tray,
            "start_at_login": self.start_at_login,
            "links_dial": self.links,
            "sip_trace": self.sip_trace,
        }
        self._descriptions = {k: w.accessibleDescription() for k, w in self._fixable.items()}
        self.admin_notes = {
            k: QLabel(translate("SettingsDialog", SET_BY_ADMIN), page) for k in self._fixable
        }
        self._general_form = form
        form.addRow("", self.close_to_tray)
        form.addRow("", self.admin_notes["close_to_tray"])
        form.addRow("", self.start_minimised)
        form.addRow("", self.start_at_login)
        form.addRow("", self.admin_notes["start_at_login"])
        form.addRow(translate("SettingsDialog", "Call &links:"), self.links)
        form.addRow("", self.admin_notes["links_dial"])
        form.addRow("", self.sip_trace)
        form.addRow("", self.admin_notes["sip_trace"])
        for note in self.admin_notes.values():
            form.setRowVisible(note, False)
        form.addRow(translate("SettingsDialog", "&Language:"), self.language)
        language_note = QLabel(
            translate("SettingsDialog", "A new language applies at the next start."), page
        )
        language_note.setWordWrap(True)
        form.addRow("", language_note)
        form.addRow("", self.about)
        return page

    # ------------------------------------------------------------------ values

    def _fill(self) -> None:
        s = self.settings
        self._fill_devices()
        self.preferences.clear()
        prefs = self.extras.preferences if self.extras is not None else s.device_preferences
        self.preferences.addItems(list(prefs))
        self.ring_both.setChecked(s.ring_on_speaker_too)
        audio = self.model.state.audio
        self.ring_volume.setValue(round(100 * audio.ringer_volume))
        self.call_volume.setValue(round(100 * audio.speaker_volume))
        self.close_to_tray.setChecked(s.close_to_tray is not False)
        self.start_minimised.setChecked(s.start_minimised)
        self.start_at_login.setChecked(s.start_at_login)
        self.links.setCurrentIndex(1 if s.links_dial else 0)
        self.sip_trace.setChecked(s.sip_trace)
        index = self.language.findData(s.language)
        self.language.setCurrentIndex(max(0, index))
        self._fixed = {}
        self._show_fixed()

    def _show_fixed(self) -> None:
        """The general choices the admin fixed in the profile: their value, disabled, "Set by
        your administrator"; one no longer fixed shows the agent's own value again."""
        signed_in = self.model.state.signed_in
        fixed = fixed_settings(signed_in.profile.desktop if signed_in is not None else None)
        before, self._fixed = self._fixed, fixed
        for name, widget in self._fixable.items():
            if name in fixed:
                self._show_value(name, fixed[name])
            elif name in before:
                self._show_value(name, getattr(self.settings, name))
            widget.setEnabled(name not in fixed)
            widget.setToolTip(translate("SettingsDialog", SET_BY_ADMIN) if name in fixed else "")
            widget.setAccessibleDescription(
                translate("SettingsDialog", SET_BY_ADMIN)
                if name in fixed
                else self._descriptions[name]
            )
            self._general_form.setRowVisible(self.admin_notes[name], name in fixed)

    def _show_value(self, name: str, value: bool | None) -> None:
        if name == "links_dial":
            self.links.setCurrentIndex(1 if value else 0)
        else:
            box = self._fixable[name]
            assert isinstance(box, QCheckBox)
            box.setChecked(value is not False if name == "close_to_tray" else bool(value))

    def _profile_changed(self, _old: object, new: object) -> None:
        if new is not None:
            self._show_fixed()

    def _fill_devices(self) -> None:
        audio = self.model.state.audio
        for combo, names, chosen in (
            (self.microphone, audio.microphones, audio.microphone),
            (self.speaker, audio.speakers, audio.speaker),
            (self.ringer, audio.speakers, audio.ringer),
        ):
            current = combo.currentData() if combo.count() else chosen
            combo.blockSignals(True)
            combo.clear()
            combo.addItem(translate("SettingsDialog", SYSTEM_DEFAULT), None)
            for name in names:
                combo.addItem(name, name)
            if current is not None and combo.findData(current) < 0:
                combo.addItem(
                    translate("SettingsDialog", "{device} (not connected)").format(device=current),
                    current,
                )
            combo.setCurrentIndex(max(0, combo.findData(current)))
            combo.blockSignals(False)

    def choices(self) -> UserSettings:
        """The settings as the dialog shows them; a choice the admin fixed keeps the agent's
        own value (the settings file never takes the admin's)."""
        return self.settings.with_changes(
            microphone=self.microphone.currentData(),
            speaker=self.speaker.currentData(),
            ringer=self.ringer.currentData(),
            device_preferences=self.preference_list(),
            ring_on_speaker_too=self.ring_both.isChecked(),
            ring_volume=self.ring_volume.value() / 100,
            call_volume=self.call_volume.value() / 100,
            close_to_tray=self.close_to_tray.isChecked(),
            start_minimised=self.start_minimised.isChecked(),
            start_at_login=self.start_at_login.isChecked(),
            links_dial=bool(self.links.currentData()),
            sip_trace=self.sip_trace.isChecked(),
            language=str(self.language.currentData()),
        ).with_changes(**{name: getattr(self.settings, name) for name in self._fixed})

    def preference_list(self) -> tuple[str, ...]:
        return tuple(self.preferences.item(i).text() for i in range(self.preferences.count()))

    # ------------------------------------------------------------------ behaviour

    def apply(self) -> UserSettings:
        """Apply the sound now and tell the owner (``applied``)."""
        chosen = self.choices()
        model = self.model
        model.choose_devices(
            microphone=chosen.microphone, speaker=chosen.speaker, ringer=chosen.ringer
        )
        model.set_volumes(speaker=chosen.call_volume)
        if self.extras is not None:
            self.extras.devices_chosen()
            self.extras.set_ring_volume(chosen.ring_volume or 0.0)
            self.extras.set_ring_on_speaker_too(chosen.ring_on_speaker_too)
            self.extras.set_preferences(chosen.device_preferences)
        else:
            model.set_volumes(ringer=chosen.ring_volume)
        self.settings = chosen
        self.applied.emit(chosen)
        return chosen

    def accept(self) -> None:
        self.apply()
        super().accept()

    def _clicked(self, button: QAbstractButton) -> None:
        if button is self.buttons.button(QDialogButtonBox.StandardButton.Apply):
            self.apply()

    def _add_preference(self) -> None:
        text = self.preference_entry.text().strip()
        if text and text not in self.preference_list():
            self.preferences.addItem(text)
        self.preference_entry.clear()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        """Enter in the pattern field adds it (instead of pressing OK)."""
        if (
            watched is self.preference_entry
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        ):
            self._add_preference()
            return True
        return super().eventFilter(watched, event)

    def _remove_preference(self) -> None:
        row = self.preferences.currentRow()
        if row >= 0:
            self.preferences.takeItem(row)

    def _move_preference(self, step: int) -> None:
        row = self.preferences.currentRow()
        target = row + step
        if row < 0 or not 0 <= target < self.preferences.count():
            return
        item = self.preferences.takeItem(row)
        self.preferences.insertItem(target, item)
        self.preferences.setCurrentRow(target)

    def _test_speaker(self) -> None:
        if self.extras is not None:
            self.extras.test_speaker()

    def _test_ringer(self) -> None:
        if self.extras is not None:
            self.extras.test_ringer()

    def _read_meter(self) -> None:
        if self.extras is not None:
            level = max(METER_FLOOR_DB, min(0, round(self.extras.microphone_level())))
            self.level.setValue(level)

    def showEvent(self, event: object) -> None:  # noqa: N802 (Qt's name)
        if self.extras is not None and not self._meter.isActive():
            self.extras.start_meter()
            self._meter.start(METER_MS)
        super().showEvent(event)  # type: ignore[arg-type]

    def hideEvent(self, event: object) -> None:  # noqa: N802 (Qt's name)
        if self._meter.isActive():
            self._meter.stop()
            if self.extras is not None:
                self.extras.stop_meter()
        super().hideEvent(event)  # type: ignore[arg-type]

    def about_text(self) -> str:
        rows = "".join(
            f"<tr><td>{html.escape(name)}</td><td>{html.escape(version)}</td></tr>"
            for name, version in self.versions.items()
        )
        return f"<p><b>Communicator</b></p><table>{rows}</table>"

    def show_about(self) -> None:
        QMessageBox.about(
            self, translate("SettingsDialog", "About Communicator"), self.about_text()
        )
