"""The housekeeping re-reads the device list during a call only when the system reported a
change, and then through the bridge (`AudioBridge.rescan`, which closes its streams for it)."""

from __future__ import annotations

from communicator.sip.audio import AudioHousekeeper, OpenStreams


class Bridge:
    def __init__(self) -> None:
        self.refreshes = 0
        self.rescans = 0
        self.rescan_result = True

    def poll(self) -> None:
        pass

    def refresh_devices(self) -> bool:
        self.refreshes += 1
        return True

    def rescan(self) -> bool:
        self.rescans += 1
        return self.rescan_result


def test_a_reported_change_is_re_read_during_a_call_the_periodic_one_waits() -> None:
    now = [0.0]
    bridge = Bridge()
    keeper = AudioHousekeeper(bridge, refresh_every_s=300.0, clock=lambda: now[0])
    saved = OpenStreams.count
    try:
        OpenStreams.count = 2  # a call's streams
        keeper.devices_may_have_changed(0.5)  # a headset plugged in
        now[0] += 0.2
        keeper.tick()  # settling
        assert bridge.rescans == 0
        bridge.rescan_result = False  # the ringer has a stream open: try again later
        now[0] += 0.4
        keeper.tick()
        assert bridge.rescans == 1 and keeper.refreshed == 0
        bridge.rescan_result = True
        now[0] += 0.2
        keeper.tick()
        assert bridge.rescans == 2 and keeper.refreshed == 1
        now[0] += 0.2
        keeper.tick()  # done: nothing more until the next report
        assert bridge.rescans == 2 and bridge.refreshes == 0
        now[0] += 301.0
        keeper.tick()  # the periodic re-read is due, but the call's streams are open
        assert (bridge.rescans, bridge.refreshes) == (2, 0)

        OpenStreams.count = 0  # between calls a report re-reads as before
        keeper.tick()  # the overdue periodic re-read
        assert (bridge.rescans, bridge.refreshes) == (2, 1)
        keeper.devices_may_have_changed(0.0)
        keeper.tick()
        assert (bridge.rescans, bridge.refreshes) == (2, 2)
    finally:
        OpenStreams.count = saved
