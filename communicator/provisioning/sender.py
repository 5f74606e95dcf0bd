"""Delivers the outbox: call logs in batches, then their recordings, with backoff.

One background thread. It wakes when a log is added (:meth:`OutboxSender.wake`) or when the next
entry is due, posts each owner's due logs with that owner's delivery token (so agent A's logs are
still delivered as A after B signed in on the same workstation), removes what the server
acknowledged, pushes the rest back with backoff, and uploads recordings of acknowledged logs,
deleting a local file only after the server confirmed it.

It opens its own connection to the outbox file; the app's writer keeps another.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from communicator.provisioning.client import ErrorKind, ProvisioningClient, ProvisioningError
from communicator.provisioning.outbox import REJECTED_PREFIX, Outbox

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Delivery:
    """How to deliver one owner's logs: a client for their server and their token."""

    client: ProvisioningClient
    token: str


DeliveryLookup = Callable[[str], Delivery | None]


class OutboxSender:
    def __init__(
        self,
        outbox_path: Path,
        delivery_for: DeliveryLookup,
        *,
        batch_size: int = 200,
        idle_recheck_s: float = 60.0,
        on_progress: Callable[[int], None] | None = None,
    ) -> None:
        self._path = outbox_path
        self._delivery_for = delivery_for
        self._batch = batch_size
        self._idle = idle_recheck_s
        self._on_progress = on_progress
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="outbox-sender", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def wake(self) -> None:
        """A log was added or credentials changed: look again now."""
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        with Outbox(self._path) as outbox:
            outbox.finish_confirmed(_delete_file)
            while not self._stop.is_set():
                self._wake.clear()
                try:
                    self.deliver_once(outbox)
                except Exception:  # never let a bug end delivery for good
                    log.exception("outbox delivery failed")
                if self._on_progress is not None:
                    self._on_progress(outbox.pending_count())
                due = outbox.next_due_at()
                wait = self._idle if due is None else max(0.0, due - outbox.now())
                if wait > 0:
                    self._wake.wait(min(wait, self._idle))

    def deliver_once(self, outbox: Outbox) -> None:
        """Deliver everything that is due now, owner by owner."""
        for owner in outbox.owners():
            if self._stop.is_set():
                return
            delivery = self._delivery_for(owner)
            if delivery is None:
                continue  # no credentials for this agent here (yet): keep the logs
            while not self._stop.is_set():
                batch = outbox.due_logs(owner, self._batch)
                if not batch:
                    break
                ids = [e.id for e in batch]
                try:
                    result = delivery.client.post_call_logs(
                        delivery.token, [{**e.payload, "id": e.id} for e in batch]
                    )
                except ProvisioningError as err:
                    outbox.fail(ids, err.message)
                    if err.kind is ErrorKind.SESSION_EXPIRED:
                        log.warning("delivery token of %s refused; logs kept", owner)
                    break
                outbox.acknowledge_logs(result.accepted)
                if result.accepted:
                    outbox.retry_now(owner)
                for entry_id, problem in result.rejected:
                    # Kept (never lost) and retried with backoff; support sees why in the log.
                    log.warning("server rejected call log %s: %s", entry_id, problem)
                accepted = set(result.accepted)
                rejected = [i for i in ids if i not in accepted]
                if rejected:
                    outbox.fail(rejected, REJECTED_PREFIX)
            self._upload_recordings(outbox, owner, delivery)

    def _upload_recordings(self, outbox: Outbox, owner: str, delivery: Delivery) -> None:
        for entry in outbox.due_recordings(owner):
            path = Path(entry.recording_path or "")
            if not path.is_file():
                log.warning("recording of %s is missing; dropping the upload", entry.id)
                outbox.confirm_recording(entry.id)
                outbox.forget(entry.id)
                continue
            try:
                delivery.client.upload_recording(delivery.token, entry.id, path)
            except ProvisioningError as err:
                outbox.fail([entry.id], err.message)
                continue
            outbox.confirm_recording(entry.id)
            _delete_file(str(path))
            outbox.forget(entry.id)


def _delete_file(path: str) -> None:
    Path(path).unlink(missing_ok=True)
