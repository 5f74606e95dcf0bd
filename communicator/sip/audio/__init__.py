"""Call audio through sounddevice (PortAudio): the bridge port, devices, tones, meters.

Composition (on the endpoint's thread)::

    devices = DeviceManager()
    bridge = AudioBridge(devices, microphone=settings.microphone, speaker=settings.speaker)
    bridge.start()                      # resolves the devices (notices if none / missing)
    bridge.attach(engine)               # engine.set_local_audio(port, port)
    ringer = Ringer(devices, settings.ringer)
    tones = CallTones(engine, bridge, ringer)
    keeper = AudioHousekeeper(bridge)   # a QTimer every keeper.interval_ms -> keeper.tick()
    # (bridge.poll(): idle streams closed, device lost -> default device + notice; the device
    # list re-read every 10 s while no stream is open; keeper.devices_may_have_changed() when
    # the system reports a device change: re-read at once, mid-call too, by bridge.rescan()).
    # The bridge opens the devices itself while a call is up (it follows the attached
    # engines' lines) or a tone plays.
    ...
    tones.close(); bridge.detach(engine); bridge.close()   # before the endpoint shuts down
"""

from communicator.sip.audio.adapter import CallTones
from communicator.sip.audio.bridge import AudioBridge
from communicator.sip.audio.callbacks import BRIDGE_RATE
from communicator.sip.audio.devices import AudioDevice, DeviceManager, OpenStreams
from communicator.sip.audio.housekeeping import AudioHousekeeper
from communicator.sip.audio.meters import LevelMeter, MeterReading
from communicator.sip.audio.notices import AudioNotice
from communicator.sip.audio.stats import BridgeStats
from communicator.sip.audio.tones import Ringer, ToneMixer

__all__ = [
    "BRIDGE_RATE",
    "AudioBridge",
    "AudioDevice",
    "AudioHousekeeper",
    "AudioNotice",
    "BridgeStats",
    "CallTones",
    "DeviceManager",
    "LevelMeter",
    "MeterReading",
    "OpenStreams",
    "Ringer",
    "ToneMixer",
]
