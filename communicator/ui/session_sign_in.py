"""The session model's sign-in: the attempts, their worker threads, the hot-desk choice.

`SignInFlow` runs the slow parts (HTTP, DNS, password hashing, the keyring) on worker threads
and brings each result back to the Qt loop through the model's dispatcher. Every attempt has a
number: a result that comes back after the agent cancelled, or after a newer attempt began, is
dropped (and a server session it opened is ended). What the model does with a result is given
as callbacks, so the flow knows nothing of the model's signals or state.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from communicator.provisioning.client import ErrorKind, ProvisioningError, normalise_server_url
from communicator.ui.dispatch import MainThreadDispatcher
from communicator.ui.sign_in import SignInFailure, SignInField
from communicator.workstation import OfflineStartError, SignedIn, Workstation

log = logging.getLogger(__name__)

UNEXPECTED = "Signing in failed unexpectedly."
"""Said for any failure that is not the server's or the agent's (translated by the windows)."""


class SignInFlow:
    def __init__(
        self,
        workstation: Workstation,
        dispatcher: MainThreadDispatcher,
        *,
        refresh: Callable[[], None],
        start: Callable[[SignedIn], None],
        failed: Callable[[SignInFailure], None],
        choice_needed: Callable[[SignedIn], None],
    ) -> None:
        self._ws = workstation
        self._dispatcher = dispatcher
        self._refresh = refresh
        self._start = start
        self._failed = failed
        self._choice_needed = choice_needed
        self._attempt = 0
        self._signing_in = False
        self._choosing: SignedIn | None = None
        """Hot desk: signed in on the server, waiting for the agent's choice of phone."""

    @property
    def signing_in(self) -> bool:
        """An attempt is under way (a worker thread has not answered yet)."""
        return self._signing_in

    @property
    def choosing(self) -> SignedIn | None:
        return self._choosing

    @property
    def busy(self) -> bool:
        return self._signing_in or self._choosing is not None

    def sign_in(self, server_url: str, login: str, password: str, *, remember: bool) -> None:
        try:
            server_url = normalise_server_url(server_url)
        except Exception as err:  # ValueError, httpx.InvalidURL
            self._failed(SignInFailure(str(err), SignInField.SERVER))
            return
        if not login.strip():
            self._failed(SignInFailure("Enter your user name.", SignInField.LOGIN))
            return

        def work() -> SignedIn:
            return self._ws.authenticate(server_url, login, password, remember=remember)

        def failure(err: Exception) -> SignInFailure:
            if isinstance(err, ProvisioningError):
                offline = self._offline_allowed(server_url, login)
                return SignInFailure.from_error(err, offline_possible=offline)
            log.error("sign-in failed", exc_info=err)
            return SignInFailure(UNEXPECTED, SignInField.NONE)

        self._run("sign-in", work, failure, self._signed_in)

    def start_offline(self, server_url: str, login: str, password: str) -> None:
        def work() -> SignedIn:
            return self._ws.check_offline(server_url, login, password)

        def failure(err: Exception) -> SignInFailure:
            if isinstance(err, OfflineStartError):
                return SignInFailure(str(err), SignInField.PASSWORD)
            log.error("offline start failed", exc_info=err)
            return SignInFailure(UNEXPECTED, SignInField.NONE)

        self._run("offline-start", work, failure, self._signed_in)

    def choose_phone(self, phone_id: int | None) -> None:
        choosing = self._choosing
        if choosing is None or self._signing_in:
            return
        if phone_id is None:  # the server's default: nothing to tell it
            self._choosing = None
            self._start(choosing)
            return

        def work() -> SignedIn:
            return self._ws.choose_phone(choosing, phone_id)

        def failure(err: Exception) -> SignInFailure:
            if isinstance(err, ProvisioningError):
                return SignInFailure(err.message, SignInField.PHONE, err.kind)
            log.error("choosing a phone failed", exc_info=err)
            return SignInFailure(UNEXPECTED, SignInField.PHONE)

        # A late answer after a cancel: the cancel already ended the session.
        self._run("choose-phone", work, failure, self._phone_chosen, end_stale=False)

    def cancel(self) -> None:
        choosing, self._choosing = self._choosing, None
        if choosing is not None:  # end the session the server opened
            self.end_server_session(choosing)
        if self._signing_in:
            self._attempt += 1
            self._signing_in = False
            self._refresh()

    def close(self) -> None:
        """At quit: a session opened for a choice the agent never made is ended."""
        if self._choosing is not None:
            self.end_server_session(self._choosing)
            self._choosing = None
        self._attempt += 1

    def end_server_session(self, signed_in: SignedIn) -> None:
        session, client = signed_in.session, self._ws.client(signed_in.session.server_url)
        threading.Thread(target=lambda: _quietly(lambda: client.sign_out(session))).start()

    def _run(
        self,
        name: str,
        work: Callable[[], SignedIn],
        failure: Callable[[Exception], SignInFailure],
        done: Callable[[SignedIn], None],
        *,
        end_stale: bool = True,
    ) -> None:
        self._attempt += 1
        attempt = self._attempt
        self._signing_in = True
        self._refresh()

        def run() -> None:
            try:
                result = work()
            except Exception as err:
                try:
                    failed = failure(err)
                except Exception as worse:  # e.g. the saved profile unreadable
                    log.error("%s failed", name, exc_info=worse)
                    failed = SignInFailure(UNEXPECTED, SignInField.NONE)
                self._dispatcher.post(lambda: self._attempt_failed(attempt, failed))
            else:
                self._dispatcher.post(
                    lambda: self._attempt_done(attempt, result, done, end_stale=end_stale)
                )

        threading.Thread(target=run, name=name, daemon=True).start()

    def _attempt_failed(self, attempt: int, failure: SignInFailure) -> None:
        if attempt != self._attempt:
            return  # cancelled meanwhile
        self._signing_in = False
        if failure.kind is ErrorKind.SESSION_EXPIRED:
            self._choosing = None  # the session the choice was for is gone: sign in again
        self._refresh()
        self._failed(failure)

    def _attempt_done(
        self,
        attempt: int,
        signed_in: SignedIn,
        done: Callable[[SignedIn], None],
        *,
        end_stale: bool,
    ) -> None:
        if attempt != self._attempt:  # cancelled: end the session the server opened
            if end_stale and not signed_in.offline:
                self.end_server_session(signed_in)
            return
        self._signing_in = False
        done(signed_in)

    def _signed_in(self, signed_in: SignedIn) -> None:
        if signed_in.session.phones and not signed_in.offline:  # hot desk: the agent chooses
            self._choosing = signed_in
            self._refresh()
            self._choice_needed(signed_in)
            return
        self._start(signed_in)

    def _phone_chosen(self, signed_in: SignedIn) -> None:
        if self._choosing is not None:
            self._choosing = None
            self._start(signed_in)

    def _offline_allowed(self, server_url: str, login: str) -> bool:
        cached = self._ws.cache_for(server_url, login)
        return cached is not None and cached.profile.call_center.allow_offline_start


def _quietly(action: Callable[[], Any]) -> None:
    try:
        action()
    except Exception as err:
        log.info("ignored: %s", err)


__all__ = ["SignInFlow"]
