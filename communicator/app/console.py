"""The agent client in a terminal (``communicator --console``, or no display).

``communicator --console --server URL --login NAME`` signs the agent in (server URL from the
command line, the user's settings, or the system configuration that the installers write),
registers the phone with the pushed VoIP profile, follows profile changes, keeps call logs in
the outbox, and prints what happens until Ctrl+C, then shuts down in order (hang up,
unregister, sign out, libDestroy). ``--call`` places a call once registered. The desktop
(`communicator.app.desktop`) sits on the same `Workstation` and `SessionModel`.
"""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import sys

from communicator.core.messages import MessageSource
from communicator.provisioning.credentials import CredentialStore
from communicator.provisioning.settings import (
    UserSettings,
    load_system_config,
    load_user_settings,
    resolve_server_url,
    save_user_settings,
    server_change_refusal,
    user_data_dir,
)
from communicator.ui.shutdown import close_in_order

log = logging.getLogger("communicator")


def main_console(args: argparse.Namespace) -> int:
    """Prompt for what the command line and the settings do not give, then `run`."""
    user = load_user_settings()
    system = load_system_config()
    refusal = server_change_refusal(args.server, system)
    if refusal is not None:
        print(f"communicator: {refusal}", file=sys.stderr, flush=True)
        return 2
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

    from communicator.sip.endpoint import EndpointOptions
    from communicator.sip.events import EngineEvent
    from communicator.ui.audio import AgentAudio
    from communicator.ui.dispatch import MainThreadDispatcher, SignalQuitter
    from communicator.ui.headless import HeadlessClient, describe_event
    from communicator.ui.session import SessionModel
    from communicator.ui.sign_in import SignInFailure
    from communicator.workstation import (
        SignedIn,
        SignedOutByServer,
        Workstation,
        WorkstationEvent,
        describe_workstation_event,
    )

    client = HeadlessClient(EndpointOptions(sip_trace=args.sip_trace or None), watch_network=True)

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
    # The session reads as signed in a loop turn or two after the phone starts (issue 14's
    # three-turn start), so a quick registration would print first: its lines wait for the
    # sign-in line, in the order a person reading the terminal expects.
    held: list[str] | None = []

    def engine_line(event: EngineEvent) -> None:
        line = describe_event(event)
        if held is None:
            print(line, flush=True)
        else:
            held.append(line)

    def release_held() -> None:
        nonlocal held
        for line in held or ():
            print(line, flush=True)
        held = None

    client.engine.subscribe(engine_line)
    audio = (
        None
        if args.no_audio
        else AgentAudio(
            client.engine, microphone=user.microphone, speaker=user.speaker, ringer=user.ringer
        )
    )
    model = SessionModel(workstation, audio=audio)
    exit_code = 0

    def failed(failure: SignInFailure) -> None:
        nonlocal exit_code
        if failure.offline_possible:
            print(f"warning: {failure.message}", file=sys.stderr)
            model.start_offline(server_url, login, password)
            return
        release_held()
        print(f"error: {failure.message}", file=sys.stderr)
        exit_code = 1
        client.quit()

    def signed_in(_old: SignedIn | None, new: SignedIn | None) -> None:
        if new is None:
            return
        print(
            f"signed in as {new.session.display_name} (extension {new.session.extension})",
            flush=True,
        )
        release_held()
        settings = load_user_settings()
        save_user_settings(
            settings.with_changes(server_url=server_url, login=login, remember_me=args.remember)
        )

    def registered(_old: object, _new: object) -> None:
        if args.call and model.state.registered:
            model.registration_changed.disconnect(registered)
            model.place_call(args.call)

    model.sign_in_failed.connect(failed)
    model.signed_in_changed.connect(signed_in)
    model.registration_changed.connect(registered)
    model.message_posted.connect(
        lambda m: (
            print(f"{m.source.value}: {m.text}", flush=True)
            if m.source in (MessageSource.AGENT, MessageSource.AUDIO, MessageSource.RINGER)
            else None
        )
    )
    model.sign_in(server_url, login, password, remember=args.remember)
    try:
        quitter = SignalQuitter(client.app)
        try:
            client.run()
        finally:
            quitter.close()
    finally:
        release_held()  # quit while still starting: what the phone said is still shown
        close_in_order(
            ("closing the session", model.close),
            ("signing out", lambda: workstation.sign_out(forget_password=args.forget)),
            ("closing the workstation", workstation.close),
            ("closing the audio", audio.close if audio is not None else None),
            ("shutting SIP down", client.shutdown),
        )
    return exit_code


__all__ = ["main_console", "run"]
