"""Delivers the outbox: call logs in batches, then their recordings, with backoff.

One background thread. It wakes when a log is added (:meth:`OutboxSender.wake`) or when the next
entry is due, posts each owner's due logs with that owner's delivery token (so agent A's logs are
still delivered as A after B signed in on the same workstation), removes what the server
acknowledged, sets aside what it refused for good (see the outbox), pushes the rest back with
backoff, and uploads recordings of acknowledged logs, deleting a local file only after the
server confirmed it.

It opens its own connection to the outbox file; the app's writer keeps another.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from communicator.provisioning.client import ErrorKind, ProvisioningClient, ProvisioningError
from communicator.provisioning.outbox import Outbox, OutboxEntry

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Delivery:
    """How to deliver one owner's logs: a client for their server and their token."""

    client: ProvisioningClient
    token: str


DeliveryLookup = Callable[[str], Delivery | None]
CONTENT_REFUSALS = frozenset({400, 413, 422})
"""Statuses that refuse a request for what it carries: sent again, the same logs get the same."""


class OutboxSender:
    def __init__(
        self,
        outbox_path: Path,
        delivery_for: DeliveryLookup,
        *,
        batch_size: int = 200,
        idle_recheck_s: float = 60.0,
        on_progress: Callable[[int], None] | None = None,
        on_refused: Callable[[int], None] | None = None,
    ) -> None:
        """``on_progress`` gets the number of logs waiting after each round, ``on_refused`` the
        number set aside after the server refused some (both on the sender thread)."""
        self._path = outbox_path
        self._delivery_for = delivery_for
        self._batch = batch_size
        self._idle = idle_recheck_s
        self._on_progress = on_progress
        self._on_refused = on_refused
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
                if not batch or not self._deliver_batch(outbox, owner, delivery, batch):
                    break
            self._upload_recordings(outbox, owner, delivery)

    def _deliver_batch(
        self, outbox: Outbox, owner: str, delivery: Delivery, batch: list[OutboxEntry]
    ) -> bool:
        """Post one batch and file every log: acknowledged, refused for good (set aside with
        the server's reason) or failed (retried with backoff). False: stop this owner's round.

        When the server refuses a whole batch for its content (400, 413, 422: too large, a body
        it cannot read), the logs are posted one by one so that only the guilty one is set
        aside. Other refusals (401, 403, 404: credentials, a proxy, a wrong address) say
        nothing about the logs: they are kept and retried."""
        ids = [e.id for e in batch]
        try:
            result = delivery.client.post_call_logs(
                delivery.token, [{**e.payload, "id": e.id} for e in batch]
            )
        except ProvisioningError as err:
            about_content = err.kind is ErrorKind.REJECTED and err.status in CONTENT_REFUSALS
            if about_content and len(batch) > 1:
                return all(self._deliver_batch(outbox, owner, delivery, [entry]) for entry in batch)
            if about_content:
                self._refuse(outbox, {batch[0].id: f"HTTP {err.status}: {err.message}"})
                return True
            outbox.fail(ids, err.message)
            if err.kind is ErrorKind.SESSION_EXPIRED:
                log.warning("delivery token of %s refused; logs kept", owner)
            return False
        outbox.acknowledge_logs(result.accepted)
        if result.accepted:
            outbox.retry_now(owner)
        accepted = set(result.accepted)
        refused = {r.id: r.reason for r in result.refused if r.id not in accepted}
        self._refuse(outbox, refused)
        unanswered = [i for i in ids if i not in accepted and i not in refused]
        if unanswered:  # the server judged neither way: try again later
            outbox.fail(unanswered, "the server did not answer for this log")
        return True

    def _refuse(self, outbox: Outbox, reasons: dict[str, str]) -> None:
        if not reasons:
            return
        outbox.refuse(reasons)
        for entry_id, reason in reasons.items():
            # Kept aside (never lost) for support; posting it again would get the same answer.
            log.warning("server refused call log %s; set aside: %s", entry_id, reason)
        if self._on_refused is not None:
            self._on_refused(outbox.refused_count())

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
