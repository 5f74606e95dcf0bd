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

from communicator.ui.netlink import NetlinkSocket

log = logging.getLogger(__name__)

SETTLE_MS = 100
"""Changes closer together than this are handled once (an address and its routes arrive in
the same millisecond; DHCP sets the address, then the default route)."""
RETRY_MS = 1000
"""When pjsua2 refuses the IP change (one still under way), it is tried again this much later."""
SLEEP_SLOT = SLOT("_prepare_for_sleep(bool)")
LOGIN1 = ("org.freedesktop.login1", "/org/freedesktop/login1", "org.freedesktop.login1.Manager")


class NetworkRecovery(QObject):
    """Re-registers ``engine`` at once after a network change or a resume from sleep."""

    recovering = Signal(str)
    """Why the phone re-registers now (``address added 10.1.2.3 on 2``, ``resumed``)."""

    def __init__(
        self,
        engine: Any,
        *,
        bus: QDBusConnection | None = None,
        settle_ms: int = SETTLE_MS,
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
        self.handled = 0
        """How many times the engine was told (coalesced changes count once)."""

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

    def network_changed(self, reason: str) -> None:
        """Something changed (``reason`` for the log): re-register after `SETTLE_MS`."""
        if self._closed:
            return
        log.info("network: %s", reason)
        self._reasons.append(reason)
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
            log.warning("re-registering after a network change failed (%s); again soon", error)
            self._reasons = reasons + self._reasons
            self._settle.start(RETRY_MS)
            return
        self.handled += 1
        self.recovering.emit(why)

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
