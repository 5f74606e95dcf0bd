"""PulseAudio's device events reach `PulseDeviceWatch` whatever the agent's language: on the
rig's private PulseAudio server, a null sink loaded and unloaded is one device added and
removed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from communicator.ui.audio_watch import PulseDeviceWatch
from tests.sip.sound.pulse import PulseServer

pytestmark = [pytest.mark.rig, pytest.mark.timeout(60)]


class Watched:
    def __init__(self) -> None:
        self.changes = 0
        self.watch = PulseDeviceWatch(self.changed)

    def changed(self) -> None:
        self.changes += 1


@pytest.fixture
def watched(pulse: PulseServer, qapp: Any) -> Iterator[Watched]:
    watched = Watched()
    try:
        yield watched
    finally:
        watched.watch.close()


def plug_until_seen(qtbot: Any, pulse: PulseServer, watched: Watched) -> None:
    """Loads and unloads a sink until the watch tells of it (``pactl subscribe`` gives no
    sign that its subscription is in place: a sink plugged before it is not an event)."""

    def seen() -> bool:
        if watched.changes:
            return True
        pulse.unload(*pulse.load_sink("watched_sink"))
        return False

    qtbot.waitUntil(seen, timeout=20_000)


def test_a_device_plugged_in_is_reported(qtbot: Any, pulse: PulseServer, watched: Watched) -> None:
    assert watched.watch.start()
    plug_until_seen(qtbot, pulse, watched)
    assert watched.watch.events >= 1


def test_a_polish_desktop_reports_devices_too(
    qtbot: Any, pulse: PulseServer, watched: Watched, monkeypatch: pytest.MonkeyPatch
) -> None:
    # pactl translates its event lines ("Zdarzenie „nowy” w odpływ #3" in Polish): the watch
    # must read them in its own words, whatever language the agent's session has.
    monkeypatch.setenv("LC_ALL", "C.UTF-8")
    monkeypatch.setenv("LANGUAGE", "pl")
    assert watched.watch.start()
    plug_until_seen(qtbot, pulse, watched)
    assert watched.watch.events >= 1
