"""The phone comes back by itself when the network changes or the machine wakes up.

`NetworkRecovery` watches, on the Qt loop and without polling:

* **the network** (Linux): an rtnetlink socket (`communicator.ui.netlink`) read through a
  `QSocketNotifier` - an address appears or goes, the default route changes, a carrier
  returns;
* **sleep**: systemd-logind's ``PrepareForSleep(false)`` signal on the system D-Bus (QtDBus),
  sent as the machine resumes.

Either one calls the engine's `handle_ip_change` (pjsua2 ``Endpoint.handleIpChange``: the
listeners restart, the account re-registers with its new contact, calls in progress are
re-INVITEd so they survive where the far end follows) after `SETTLE_MS`, so the burst of
messages one change brings (address, routes, a second family) costs one re-registration.
Meanwhile the registration machine shows the truth: when the REGISTER cannot get through, the
status carries the lost-connection message ("SIP phone has lost connection with the system",
the banner) and its retries run; the next success clears it.

When pjsua2 refuses the change (one still under way, or a stack that keeps failing), it is tried
again after `RETRY_MS`, doubling each time up to `MAX_RETRY_MS`; after `MAX_ATTEMPTS` refusals in
a row the recovery stops, and says so to the agent once (`notice`, a `Message` for the one message
channel): the registration's own retries go on, and the next network change starts afresh.

QNetworkInformation was considered: its Linux backends (NetworkManager over D-Bus, GLib's
GNetworkMonitor) report reachability and the transport medium, not an address that changed
while the machine stayed online (a new DHCP lease, a VPN), and NetworkManager is not on every
desk. Netlink is what those backends read underneath.

Where netlink or the system bus is missing (macOS, Windows, a container without D-Bus) the
watch that cannot run stays off (`watching_network`, `watching_sleep`) and the registration's
own refreshes and retries remain; `network_changed` is the entry point for any other source.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from PySide6.QtCore import SLOT, QObject, QSocketNotifier, QTimer, Signal, Slot
from PySide6.QtDBus import QDBusConnection

from communicator.core.messages import Message, MessageLevel, MessageSource
from communicator.ui.i18n import translate
from communicator.ui.netlink import NetlinkSocket

log = logging.getLogger(__name__)

SETTLE_MS = 100
"""Changes closer together than this are handled once (an address and its routes arrive in
the same millisecond; DHCP sets the address, then the default route)."""
RETRY_MS = 1000
"""When pjsua2 refuses the IP change (one still under way), it is tried again this much later,
doubling with each refusal in a row ..."""
MAX_RETRY_MS = 16_000
"""... up to this."""
MAX_ATTEMPTS = 6
"""Refusals in a row after which the recovery stops and tells the agent (1 + 2 + 4 + 8 + 16 s
of retries: over half a minute)."""
SLEEP_SLOT = SLOT("_prepare_for_sleep(bool)")
LOGIN1 = ("org.freedesktop.login1", "/org/freedesktop/login1", "org.freedesktop.login1.Manager")


class NetworkRecovery(QObject):
    """Re-registers ``engine`` at once after a network change or a resume from sleep."""

    recovering = Signal(str)
    """Why the phone re-registers now (``address added 10.1.2.3 on 2``, ``resumed``)."""
    notice = Signal(object)
    """A `Message` for the agent (the application posts it on the session's message channel):
    the recovery gave up after `MAX_ATTEMPTS` refusals in a row."""

    def __init__(
        self,
        engine: Any,
        *,
        bus: QDBusConnection | None = None,
        settle_ms: int = SETTLE_MS,
        retry_ms: int = RETRY_MS,
        max_retry_ms: int = MAX_RETRY_MS,
        max_attempts: int = MAX_ATTEMPTS,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._engine = engine
        self._bus = bus
        self._netlink: NetlinkSocket | None = None
        self._notifier: QSocketNotifier | None = None
        self._watching_sleep = False
        self._closed = False
        self._reasons: list[str] = []
        self._settle = QTimer(self)
        self._settle.setSingleShot(True)
        self._settle_ms = settle_ms
        self._settle.timeout.connect(self._handle)
        self._retry_ms, self._max_retry_ms = retry_ms, max_retry_ms
        self._max_attempts = max(1, max_attempts)
        self._failures = 0
        self.handled = 0
        """How many times the engine was told (coalesced changes count once)."""
        self.refusals = 0
        """How many times the engine refused (all in all)."""

    def start(self) -> None:
        """Start both watches (each one that can run here)."""
        self._watch_network()
        self._watch_sleep()

    @property
    def watching_network(self) -> bool:
        return self._notifier is not None

    @property
    def watching_sleep(self) -> bool:
        return self._watching_sleep

    def _watch_network(self) -> None:
        if not sys.platform.startswith("linux"):
            return
        netlink = NetlinkSocket()
        try:
            fd = netlink.open()
        except OSError as error:
            log.info("network changes are not watched (netlink: %s)", error)
            return
        self._netlink = netlink
        self._notifier = QSocketNotifier(fd, QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._readable)

    def _readable(self) -> None:
        netlink = self._netlink
        if netlink is None:
            return
        try:
            changes = netlink.read()
        except OSError as error:
            log.warning("network watch stopped: %s", error)
            self._stop_network()
            return
        for change in changes:
            self.network_changed(change.what)

    def _watch_sleep(self) -> None:
        bus = self._bus if self._bus is not None else QDBusConnection.systemBus()
        if not bus.isConnected():
            log.info("sleep is not watched (no system D-Bus)")
            return
        self._bus = bus
        # The stubs want the slot as bytes, PySide6 6.11 takes only str (SLOT's result).
        connect: Any = bus.connect
        self._watching_sleep = bool(connect(*LOGIN1, "PrepareForSleep", self, SLEEP_SLOT))

    @Slot(bool)
    def _prepare_for_sleep(self, going: bool) -> None:
        if going:
            log.info("the machine is going to sleep")
        else:
            self.network_changed("resumed from sleep")

    @property
    def retrying(self) -> bool:
        """A refused change waits for its next attempt."""
        return self._failures > 0 and self._settle.isActive()

    def retry_delay(self, failures: int) -> int:
        """Milliseconds before the next attempt after ``failures`` refusals in a row."""
        return int(min(self._retry_ms * 2 ** min(max(failures, 1) - 1, 30), self._max_retry_ms))

    def network_changed(self, reason: str) -> None:
        """Something changed (``reason`` for the log): re-register after `SETTLE_MS`."""
        if self._closed:
            return
        log.info("network: %s", reason)
        self._reasons.append(reason)
        if self._failures:  # a new change: a fresh start, without waiting for the backoff
            self._failures = 0
            self._settle.stop()
        if not self._settle.isActive():
            self._settle.start(self._settle_ms)

    def _handle(self) -> None:
        reasons, self._reasons = self._reasons, []
        if self._closed or getattr(self._engine, "closed", False):
            return
        why = "; ".join(dict.fromkeys(reasons)) or "network change"
        try:
            self._engine.handle_ip_change()
        except Exception as error:  # pjsua2 refused (an IP change still under way)
            self._refused(reasons, error)
            return
        self._failures = 0
        self.handled += 1
        self.recovering.emit(why)

    def _refused(self, reasons: list[str], error: Exception) -> None:
        self.refusals += 1
        self._failures += 1
        if self._failures >= self._max_attempts:
            log.error(
                "re-registering after a network change failed %d times (last: %s); stopped",
                self._failures,
                error,
            )
            self._failures = 0
            self.notice.emit(gave_up_message())
            return
        delay = self.retry_delay(self._failures)
        log.warning(
            "re-registering after a network change failed (%s); again in %d ms", error, delay
        )
        self._reasons = reasons + self._reasons
        self._settle.start(delay)

    def _stop_network(self) -> None:
        notifier, self._notifier = self._notifier, None
        if notifier is not None:
            notifier.setEnabled(False)
            notifier.deleteLater()
        netlink, self._netlink = self._netlink, None
        if netlink is not None:
            netlink.close()

    def close(self) -> None:
        self._closed = True
        self._settle.stop()
        self._stop_network()
        if self._watching_sleep and self._bus is not None:
            disconnect: Any = self._bus.disconnect
            disconnect(*LOGIN1, "PrepareForSleep", self, SLEEP_SLOT)
            self._watching_sleep = False


def gave_up_message() -> Message:
    """What the agent reads when the recovery stopped."""
    return Message(
        MessageLevel.WARNING,
        MessageSource.PHONE,
        translate(
            "NetworkRecovery",
            "The phone could not reconnect after the network changed. It keeps trying; if "
            "calls do not reach you, sign out and sign in again.",
        ),
    )
