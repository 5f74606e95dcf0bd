"""Follows the signed-in agent's profile: server-sent events, reconnects, ETag re-checks.

A background thread listens to ``/profile/events``. When an event names an ETag other than the
one in use, it fetches the profile (with If-None-Match) and hands the new profile to
``on_profile``. After any gap (a dropped stream, a server restart) it reconnects with backoff and
re-checks the ETag before listening again, so a change made while disconnected is never missed.
A ``revoked`` event or an expired session ends the watch through ``on_revoked``.

Callbacks run on the watcher thread: the app marshals them to the UI thread.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable

from communicator.provisioning.client import (
    AgentSession,
    ErrorKind,
    ProfileFetch,
    ProvisioningClient,
    ProvisioningError,
)
from communicator.provisioning.schema import VoipProfile

log = logging.getLogger(__name__)


class ProfileWatcher:
    def __init__(
        self,
        client: ProvisioningClient,
        session: AgentSession,
        etag: str,
        *,
        on_profile: Callable[[VoipProfile, str], None],
        on_revoked: Callable[[str], None],
        on_error: Callable[[ProvisioningError], None] | None = None,
        max_backoff_s: float = 30.0,
    ) -> None:
        self._client = client
        self._session = session
        self.etag = etag
        self._on_profile = on_profile
        self._on_revoked = on_revoked
        self._on_error = on_error
        self._max_backoff = max_backoff_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="profile-watcher", daemon=True)
        self.connected = threading.Event()

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop watching. The stream read is bounded by the server's heartbeat (15 s) at worst;
        the thread is a daemon, so a slow stop never blocks the application's exit."""
        self._stop.set()
        self._thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        failures = 0
        while not self._stop.is_set():
            try:
                if failures:
                    self._recheck()  # something may have changed while we were away
                for event in self._client.profile_events(self._session, last_event_id=self.etag):
                    self.connected.set()
                    failures = 0
                    if self._stop.is_set():
                        return
                    if event.kind == "revoked":
                        self._on_revoked("Your session was ended by the server.")
                        return
                    if event.kind == "profile" and event.etag and event.etag != self.etag:
                        self._recheck()
                failures += 1  # the server closed the stream: reconnect
            except ProvisioningError as err:
                self.connected.clear()
                if err.kind in {ErrorKind.SESSION_EXPIRED, ErrorKind.WRONG_CREDENTIALS}:
                    self._on_revoked(err.message)
                    return
                if self._on_error is not None:
                    self._on_error(err)
                failures += 1
            except Exception:  # a bug must not kill live updates silently
                log.exception("profile watcher failed; reconnecting")
                failures += 1
            delay = min(self._max_backoff, 0.5 * 2 ** min(failures, 10))
            self._stop.wait(delay / 2 + random.random() * delay / 2)

    def _recheck(self) -> None:
        fetched: ProfileFetch = self._client.fetch_profile(self._session, etag=self.etag)
        if fetched.profile is not None and fetched.etag != self.etag:
            self.etag = fetched.etag
            log.info("profile updated (revision %s)", fetched.profile.revision)
            self._on_profile(fetched.profile, fetched.etag)
