"""The composition root: wires provisioning, the SIP engine and the core into a running client.

``communicator --server URL --login NAME`` signs the agent in (server URL from the command line,
the user's settings, or the system configuration that the installers write), registers the
phone with the pushed VoIP profile, follows profile changes, keeps call logs in the outbox, and
prints what happens until Ctrl+C, then shuts down in order (hang up, unregister, sign out,
libDestroy). The desktop window will sit on the same `Workstation`; until it exists this is the
agent client in a terminal (``--call`` places a call once registered).
"""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import sys
from collections.abc import Callable, Sequence

from communicator.provisioning.client import ErrorKind, ProvisioningError
from communicator.provisioning.credentials import CredentialStore
from communicator.provisioning.settings import (
    UserSettings,
    load_system_config,
    load_user_settings,
    resolve_server_url,
    save_user_settings,
    user_data_dir,
)
from communicator.sip.audio.notices import AudioNotice
from communicator.sip.engine import SipEngine

log = logging.getLogger("communicator")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="communicator", description=__doc__.splitlines()[0])
    parser.add_argument("--server", help="provisioning server URL (https://host[:port])")
    parser.add_argument("--login", help="agent user name")
    parser.add_argument("--password-env", help="read the agent password from this variable")
    parser.add_argument("--remember", action="store_true", help="keep the password in the keyring")
    parser.add_argument("--forget", action="store_true", help="forget the remembered password")
    parser.add_argument("--call", help="number or SIP URI to call once registered")
    parser.add_argument("--sip-trace", action="store_true", help="log SIP messages (support)")
    parser.add_argument(
        "--no-audio", action="store_true", help="no sound devices (calls use the null device)"
    )
    parser.add_argument("-v", "--verbose", action="store_true")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    user = load_user_settings()
    system = load_system_config()
    server_url, source = resolve_server_url(args.server, user, system)
    if server_url is None:
        server_url = input("Server address: ").strip()
    login = args.login or user.login or input("User name: ").strip()
    credentials = CredentialStore()
    password = os.environ.get(args.password_env, "") if args.password_env else ""
    if not password and not args.forget:
        password = credentials.recall(server_url, login) or ""
    if not password:
        password = getpass.getpass(f"Password for {login} at {server_url}: ")
    log.info("server %s from %s", server_url, source.value)
    return run(
        args,
        server_url=server_url,
        login=login,
        password=password,
        credentials=credentials,
        user=user,
    )


def run(
    args: argparse.Namespace,
    *,
    server_url: str,
    login: str,
    password: str,
    credentials: CredentialStore,
    user: UserSettings,
) -> int:
    from PySide6.QtCore import QTimer

    from communicator.sip.endpoint import EndpointOptions
    from communicator.ui.dispatch import MainThreadDispatcher, SignalQuitter
    from communicator.ui.headless import HeadlessClient, describe_event
    from communicator.workstation import (
        OfflineStartError,
        SignedOutByServer,
        Workstation,
        WorkstationEvent,
        describe_workstation_event,
    )

    client = HeadlessClient(EndpointOptions(sip_trace=args.sip_trace or None))

    dispatcher = MainThreadDispatcher()
    workstation = Workstation(
        engine=client.engine,
        data_dir=user_data_dir(),
        post_to_main=dispatcher.post,
        credentials=credentials,
        ca_file=user.ca_file or load_system_config().ca_file,
    )

    def show(event: WorkstationEvent) -> None:
        print(describe_workstation_event(event), flush=True)
        if isinstance(event, SignedOutByServer):
            client.quit()

    workstation.subscribe(show)
    client.engine.subscribe(lambda event: print(describe_event(event), flush=True))
    audio = None if args.no_audio else Audio(client.engine, user)
    exit_code = 0
    try:
        try:
            signed_in = workstation.authenticate(
                server_url, login, password, remember=args.remember
            )
            workstation.start(signed_in)
            print(
                f"signed in as {signed_in.session.display_name} "
                f"(extension {signed_in.session.extension})",
                flush=True,
            )
        except ProvisioningError as err:
            if err.kind is not ErrorKind.UNREACHABLE:
                print(f"error: {err.message}", file=sys.stderr)
                return 1
            print(f"warning: {err.message}", file=sys.stderr)
            workstation.start_offline(server_url, login, password)
        settings = load_user_settings()
        save_user_settings(
            settings.with_changes(server_url=server_url, login=login, remember_me=args.remember)
        )
        if args.call:

            def place() -> None:
                if client.engine.registration.current is None:
                    QTimer.singleShot(200, place)
                    return
                client.engine.place_call(args.call)

            QTimer.singleShot(0, place)
        quitter = SignalQuitter(client.app)
        try:
            client.run()
        finally:
            quitter.close()
    except OfflineStartError as err:
        print(f"error: {err}", file=sys.stderr)
        exit_code = 1
    finally:
        close_in_order(
            ("signing out", lambda: workstation.sign_out(forget_password=args.forget)),
            ("closing the workstation", workstation.close),
            ("closing the audio", audio.close if audio is not None else None),
            ("shutting SIP down", client.shutdown),
        )
    return exit_code


def close_in_order(*steps: tuple[str, Callable[[], object] | None]) -> None:
    """Run every shutdown step even if an earlier one fails (each failure is logged).

    A skipped step is worse than a failed one: a bridge left open or an endpoint never
    destroyed is torn down by the interpreter's exit in no particular order, with pjmedia's
    clock thread still calling the audio port.
    """
    for what, step in steps:
        if step is None:
            continue
        try:
            step()
        except Exception:
            log.exception("shutdown: %s failed", what)


class Audio:
    """The agent's sound: the sounddevice bridge on the conference bridge, the ringer, call
    tones, and the housekeeping timer that watches the devices (on the endpoint's thread)."""

    def __init__(self, engine: SipEngine, user: UserSettings) -> None:
        from PySide6.QtCore import QTimer

        from communicator.sip.audio import (
            AudioBridge,
            AudioHousekeeper,
            CallTones,
            DeviceManager,
            Ringer,
        )

        self.devices = DeviceManager()
        self.bridge = AudioBridge(self.devices, microphone=user.microphone, speaker=user.speaker)
        self.bridge.subscribe(self._tell)
        self.bridge.start()
        self.bridge.attach(engine)
        self.ringer = Ringer(self.devices, user.ringer)
        self.ringer.subscribe(self._tell)
        self.tones = CallTones(engine, self.bridge, self.ringer)
        self._engine = engine
        keeper = AudioHousekeeper(self.bridge, ringer=self.ringer)
        self._timer = QTimer()
        self._timer.timeout.connect(keeper.tick)
        self._timer.start(keeper.interval_ms)

    @staticmethod
    def _tell(notice: AudioNotice) -> None:
        print(f"audio: {notice.text}", flush=True)

    def close(self) -> None:
        """Before the endpoint shuts down: nothing pjsua2 may outlive libDestroy."""
        close_in_order(
            ("stopping the audio timer", self._timer.stop),
            ("closing the tones", self.tones.close),
            ("detaching the audio bridge", lambda: self.bridge.detach(self._engine)),
            ("closing the audio bridge", self.bridge.close),
        )


if __name__ == "__main__":
    raise SystemExit(main())
