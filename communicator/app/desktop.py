"""The agent desktop (``communicator`` with a display): the sign-in window first, the rest after.

Cold start is the agent's first impression: the sign-in window shows before anything heavy is
imported (pjsua2 through `communicator.sip`, httpx through the provisioning client, the
workstation, the keyring). It is prefilled from the command line, the user's settings and the
system configuration (small files). Once it has painted, a zero-time timer builds the client
as the console does (`HeadlessClient`, `Workstation`, `AgentAudio`, `SessionModel`) and
attaches the model; a remembered password is read from the keyring on a worker thread (a locked
keyring may ask its own question) and filled in if the agent has not typed one meanwhile.

Closing a window (or Ctrl-C, SIGTERM, Quit in the tray) quits: the windows close, then the
session, the phone, the server session, the workstation, the audio and SIP shut down in that
order. With a system tray, closing the main window hides it there instead (a setting).

The main window's Settings button opens `SettingsDialog`; the saved sound choices (device
preference list, ringing on the speaker too, volumes) and SIP trace apply at start, and the
screen pop (`ScreenPop`) opens the CRM for calls as the profile says.

One instance per user: a launch first offers its arguments (call links) to a running instance
(`ui.desktop.single_instance`) and exits 0 if it took them; otherwise it shows its window and,
once that has painted, listens for later launches.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication

from communicator.provisioning.settings import (
    load_system_config,
    load_user_settings,
    resolve_server_url,
    server_change_refusal,
    user_config_dir,
)
from communicator.ui.desktop.controller import Desktop
from communicator.ui.desktop.single_instance import another_instance_may_run, instance_name
from communicator.ui.i18n import install_translators
from communicator.ui.shutdown import close_in_order

if TYPE_CHECKING:
    from communicator.provisioning.credentials import CredentialStore
    from communicator.provisioning.settings import UserSettings
    from communicator.ui.audio import AgentAudio
    from communicator.ui.audio_extras import AudioExtras
    from communicator.ui.desktop.screen_pop import ScreenPop
    from communicator.ui.desktop.settings_actions import SettingsActions
    from communicator.ui.desktop.settings_dialog import SettingsDialog
    from communicator.ui.desktop.single_instance import InstanceServer
    from communicator.ui.dispatch import MainThreadDispatcher, SignalQuitter
    from communicator.ui.headless import HeadlessClient
    from communicator.ui.session import SessionModel
    from communicator.workstation import Workstation

log = logging.getLogger("communicator")


class _FirstPaint(QObject):
    """Calls ``then`` once, from the event loop, after ``widget``'s first paint."""

    def __init__(self, widget: QObject, then: Callable[[], None]) -> None:
        super().__init__(widget)
        self._then = then
        self._done = False
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if not self._done and event.type() == QEvent.Type.Paint:
            self._done = True
            watched.removeEventFilter(self)
            QTimer.singleShot(0, self._then)
        return False


class DesktopApp:
    """The desktop application: `Desktop` on the client's parts, built after the window shows."""

    def __init__(self, args: argparse.Namespace, app: QApplication) -> None:
        self.args = args
        self.app = app
        self.exit_code = 0
        self.user: UserSettings = load_user_settings()
        self.system = load_system_config()  # read once: the sign-in window and the client use it
        server_url, source = resolve_server_url(args.server, self.user, self.system)
        log.info("server %s from %s", server_url, source.value)
        self.desktop = Desktop(
            server_url=server_url or "",
            login=args.login or self.user.login or "",
            remember=args.remember or self.user.remember_me,
            close_to_tray=self.user.close_to_tray,
            start_minimised=args.minimised or self.user.start_minimised,
            links_dial=self.user.links_dial,
            system=self.system,
        )
        self.desktop.quit_requested.connect(self._quit_requested)
        for link in args.links:
            self.desktop.open_link(link)  # opened once the client is built and signed in
        self.instance_name = instance_name(user_config_dir())
        self.instance: InstanceServer | None = None
        self._dispatcher: MainThreadDispatcher | None = None
        self._quitter: SignalQuitter | None = None
        self.client: HeadlessClient | None = None
        self.workstation: Workstation | None = None
        self.audio: AgentAudio | None = None
        self.model: SessionModel | None = None
        self.screen_pop: ScreenPop | None = None
        self.audio_extras: AudioExtras | None = None
        self.settings_actions: SettingsActions | None = None
        self.settings_dialog: SettingsDialog | None = None
        self._keyring_reader: threading.Thread | None = None
        password = os.environ.get(args.password_env, "") if args.password_env else ""
        if password:
            self.desktop.sign_in_window.set_password(password)
        self._refuse_locked_server_change()

    def _refuse_locked_server_change(self) -> None:
        """``--server`` naming another server than IT's locked preset: the window keeps the
        preset (the console refuses to start) and says why, on stderr for whoever launched it
        and on the sign-in window for the agent."""
        refusal = server_change_refusal(self.args.server, self.system)
        if refusal is not None:
            print(f"communicator: {refusal}", file=sys.stderr, flush=True)
            self.desktop.sign_in_window.show_message(refusal, problem=True)

    def start(self) -> None:
        self.desktop.show()
        # The rest is built once the window has painted (the agent sees it first), or after a
        # second if it has not painted by then (started minimised): whichever comes first.
        _FirstPaint(self.desktop.sign_in_window, self._shown)
        QTimer.singleShot(1000, self._shown)

    def _shown(self) -> None:
        if self._dispatcher is not None:
            return
        if self.args.quit_after_shown:
            import json

            print("shown " + json.dumps(sorted(sys.modules)), flush=True)
        from communicator.ui.dispatch import MainThreadDispatcher, SignalQuitter

        self._dispatcher = MainThreadDispatcher()
        self._quitter = SignalQuitter(self.app)  # Ctrl-C, SIGTERM: quit and shut down in order
        if not self._take_hand_overs():
            return
        try:
            self._build()
        except Exception as err:
            log.exception("the client could not start")
            self.exit_code = 1
            self.desktop.sign_in_window.show_message(
                f"Communicator could not start its phone ({type(err).__name__}). "
                "Close this window and start it again; if it happens again, call support.",
                problem=True,
            )
            if self.args.quit_after_shown:
                self.app.quit()
            return
        if self.args.quit_after_shown:
            print("ready", flush=True)
            self.app.quit()

    def _take_hand_overs(self) -> bool:
        """Listen for later launches; False if another instance started meanwhile (this one then
        gives it its arguments and quits)."""
        from communicator.ui.desktop.single_instance import HandOver, InstanceServer, hand_over

        self.instance = InstanceServer(self.instance_name)
        if self.instance.listen():
            self.instance.arguments_received.connect(self._handed_over)
            if self.args.instance_events:
                print("instance listening", flush=True)
            return True
        if hand_over(self.instance_name, self.args.links) is HandOver.HANDED:
            log.info("another Communicator started at the same time: handed over to it")
            self.app.quit()
            return False
        log.warning("another Communicator holds %s but does not answer", self.instance_name)
        return True  # run anyway, without taking hand-overs

    def _handed_over(self, arguments: list[str]) -> None:
        if self.args.instance_events:
            import json

            print("received " + json.dumps(arguments), flush=True)
        self.desktop.handle_arguments(arguments)

    def _build(self) -> None:
        from communicator.provisioning.credentials import CredentialStore
        from communicator.provisioning.settings import user_data_dir
        from communicator.sip.endpoint import EndpointOptions
        from communicator.ui.audio import AgentAudio
        from communicator.ui.desktop.screen_pop import ScreenPop
        from communicator.ui.headless import HeadlessClient
        from communicator.ui.session import SessionModel
        from communicator.workstation import Workstation, describe_workstation_event

        args, user, dispatcher = self.args, self.user, self._dispatcher
        assert dispatcher is not None
        credentials = CredentialStore()
        self.client = HeadlessClient(
            EndpointOptions(sip_trace=args.sip_trace or user.sip_trace or None),
            watch_network=True,
        )
        self.workstation = Workstation(
            engine=self.client.engine,
            data_dir=user_data_dir(),
            post_to_main=dispatcher.post,
            credentials=credentials,
            ca_file=user.ca_file or self.system.ca_file,
        )
        self.workstation.subscribe(lambda event: log.info(describe_workstation_event(event)))
        if not args.no_audio:
            self.audio = AgentAudio(
                self.client.engine,
                microphone=user.microphone,
                speaker=user.speaker,
                ringer=user.ringer,
            )
        self.model = SessionModel(self.workstation, audio=self.audio)
        if self.client.network is not None:  # a recovery that gave up tells the agent
            self.client.network.notice.connect(self.model.post_message)
        self.desktop.attach(self.model)
        self.screen_pop = ScreenPop(self.model, parent=self.desktop)
        self._set_up_settings()
        if not args.forget:
            self._recall_password(credentials)

    def _set_up_settings(self) -> None:
        """The saved sound choices applied, the main window's Settings button, and a start-at-login
        entry pointed at this installation."""
        from communicator.ui.audio_extras import AudioExtras
        from communicator.ui.desktop import autostart
        from communicator.ui.desktop.settings_actions import SettingsActions

        model, user, client = self.model, self.user, self.client
        assert model is not None and client is not None
        if self.audio is not None:
            self.audio_extras = AudioExtras(
                model,
                self.audio,
                client.engine,
                preferences=user.device_preferences,
                ring_on_speaker_too=user.ring_on_speaker_too,
                parent=self.desktop,
            )
            if user.ring_volume is not None:
                self.audio_extras.set_ring_volume(user.ring_volume)
        model.set_volumes(speaker=user.call_volume)
        self.settings_actions = SettingsActions(
            self.desktop, set_sip_trace=client.endpoint.set_sip_trace, parent=self.desktop
        )
        autostart.refresh()  # an entry an earlier version or install wrote starts this one
        window = self.desktop.main_window
        if window is not None:
            window.settings_button.clicked.connect(self.show_settings)

    def show_settings(self) -> None:
        """The Settings dialog over the main window (one at a time)."""
        from communicator.provisioning.settings import load_user_settings
        from communicator.ui.desktop.settings_actions import versions
        from communicator.ui.desktop.settings_dialog import SettingsDialog

        if self.settings_dialog is not None:
            self.settings_dialog.raise_()
            self.settings_dialog.activateWindow()
            return
        assert self.model is not None and self.client is not None
        pjsip = self.client.endpoint.ep.libVersion().full
        dialog = SettingsDialog(
            self.model,
            load_user_settings(),
            extras=self.audio_extras,
            versions=versions(str(pjsip)),
            parent=self.desktop.main_window,
        )
        actions = self.settings_actions
        if actions is not None:
            dialog.applied.connect(actions.apply)
        dialog.finished.connect(lambda _result: self._settings_closed())
        self.settings_dialog = dialog
        dialog.show()

    def _settings_closed(self) -> None:
        dialog, self.settings_dialog = self.settings_dialog, None
        if dialog is not None:
            dialog.deleteLater()

    def _recall_password(self, credentials: CredentialStore) -> None:
        window, dispatcher = self.desktop.sign_in_window, self._dispatcher
        assert dispatcher is not None
        server_url, login = window.server_url, window.login
        if not server_url or not login or window.password_field.text():
            return

        def fill(password: str) -> None:
            unchanged = (window.server_url, window.login) == (server_url, login)
            if unchanged and not window.password_field.text():
                window.set_password(password)

        def work() -> None:
            try:
                password = credentials.recall(server_url, login)
            except Exception as err:  # CredentialStoreError: no keyring, locked, D-Bus down
                log.info("no remembered password: %s", err)
                return
            if password:
                dispatcher.post(lambda: fill(password))

        self._keyring_reader = threading.Thread(target=work, name="keyring", daemon=True)
        self._keyring_reader.start()

    def _quit_requested(self, window: str) -> None:
        log.info("%s closed: quitting", window)
        self.app.quit()

    def close(self) -> None:
        """Close the windows, then shut the client down in order."""
        if self._quitter is not None:
            self._quitter.close()
            self._quitter = None
        if self.instance is not None:
            self.instance.close()
            self.instance = None
        self.desktop.close()
        workstation = self.workstation
        close_in_order(
            (
                "closing the sound extras",
                self.audio_extras.close if self.audio_extras is not None else None,
            ),
            ("closing the session", self.model.close if self.model is not None else None),
            (
                "signing out",
                (lambda: workstation.sign_out(forget_password=self.args.forget))
                if workstation is not None
                else None,
            ),
            ("closing the workstation", workstation.close if workstation is not None else None),
            ("closing the audio", self.audio.close if self.audio is not None else None),
            ("shutting SIP down", self.client.shutdown if self.client is not None else None),
            ("waiting for the keyring", self._wait_for_keyring_reader),
        )

    def _wait_for_keyring_reader(self) -> None:
        """A quit right after start can find the keyring read still on the D-Bus: the interpreter
        would kill that daemon thread inside the keyring's native code at exit, and the process
        abort ("FATAL: exception not rethrown", seen once in the rig tests). A read takes
        milliseconds; one stuck behind an unlock prompt is left after a second."""
        reader = self._keyring_reader
        if reader is not None:
            reader.join(timeout=1.0)
            if reader.is_alive():
                log.warning("the keyring has not answered; quitting without its answer")


def main_desktop(args: argparse.Namespace) -> int:
    app = QApplication(sys.argv[:1])
    app.setApplicationName("Communicator")
    app.setQuitOnLastWindowClosed(False)  # the desktop says when to quit (quit_requested)
    name = instance_name(user_config_dir())
    if another_instance_may_run(name):
        from communicator.ui.desktop.single_instance import HandOver, hand_over

        if hand_over(name, args.links) is HandOver.HANDED:
            if args.instance_events:
                print("handed over", flush=True)
            return 0
    # Before any window is made; not for a second launch that only hands its links over.
    install_translators(load_user_settings().language, app)
    desktop_app = DesktopApp(args, app)
    try:
        desktop_app.start()
        app.exec()
    finally:
        desktop_app.close()
    return desktop_app.exit_code
