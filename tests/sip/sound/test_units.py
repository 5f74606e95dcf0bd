"""Pure-numpy parts of the audio bridge: ring, drift compensation, meters, tones, adapter."""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

from communicator.core.calls import Call as CoreCall
from communicator.core.calls import CallDirection, CallId, CallState, RemoteParty
from communicator.sip.audio.adapter import CallTones
from communicator.sip.audio.devices import AudioDevice, DeviceManager
from communicator.sip.audio.direction import Direction
from communicator.sip.audio.drift import AdaptiveTarget, DepthController
from communicator.sip.audio.meters import SILENCE_DBFS, LevelMeter
from communicator.sip.audio.ring import RingBuffer
from communicator.sip.audio.slip import SampleSlipper
from communicator.sip.audio.tones import DTMF_FREQS, RINGTONE, ToneMixer, dtmf_tone, load_wav
from communicator.sip.events import LinesChanged


def ramp(start: int, n: int) -> np.ndarray:
    return np.arange(start, start + n, dtype=np.float32)


# ------------------------------------------------------------------ ring


def test_ring_wraps_and_keeps_order() -> None:
    ring = RingBuffer(10)
    out = np.zeros(4, np.float32)
    written = 0
    for _ in range(20):
        ring.write(ramp(written, 3))
        written += 3
        assert ring.read_into(out[:3]) == 3
        assert list(out[:3]) == list(ramp(written - 3, 3))
    assert ring.underruns == ring.overruns == 0


def test_ring_overrun_drops_oldest_and_counts() -> None:
    ring = RingBuffer(8)
    ring.write(ramp(0, 6))
    ring.write(ramp(6, 6))
    assert ring.overruns == 1 and ring.dropped_samples == 4 and ring.level == 8
    out = np.zeros(8, np.float32)
    ring.read_into(out)
    assert list(out) == list(ramp(4, 8))
    ring.write(ramp(0, 20))  # larger than the ring: the newest 8 survive
    ring.read_into(out)
    assert list(out) == list(ramp(12, 8))


def test_ring_underrun_pads_silence_then_waits_for_prime() -> None:
    ring = RingBuffer(32)
    ring.prime = 6
    out = np.ones(4, np.float32)
    assert ring.read_into(out) == 0 and not out.any()  # not primed yet: silence, no count
    assert ring.underruns == 0
    ring.write(ramp(1, 6))
    assert ring.read_into(out) == 4
    assert ring.read_into(out) == 2 and list(out) == [5, 6, 0, 0]
    assert ring.underruns == 1 and ring.missing_samples == 2
    ring.write(ramp(1, 3))
    assert ring.read_into(out) == 0  # below prime again after the underrun
    ring.counting = False
    ring.write(ramp(1, 10))
    ring.read_into(np.zeros(20, np.float32))
    assert ring.underruns == 1


# ------------------------------------------------------------------ drift


def test_depth_controller_converges_on_a_constant_skew() -> None:
    rate, block = 16000, 320
    ctl = DepthController(
        rate, AdaptiveTarget(minimum=400, maximum=2400, step_up=160, step_down=40)
    )
    level = 400.0
    skew = 300e-6  # producer runs fast
    for _ in range(50 * 120):
        corr = ctl.update(round(level), block / rate)
        level += block * (1 + skew) * (1 - corr) - block
    assert abs(level - ctl.target.value) < 40
    assert ctl.correction == pytest.approx(skew, rel=0.2)


def test_target_backs_off_from_a_depth_that_underran() -> None:
    """Startup underruns raise the target; a step down that then underruns doubles the quiet
    time before the next step down (no probing below the machine's jitter every 10 s)."""
    t = AdaptiveTarget(minimum=320, maximum=2400, step_up=160, step_down=80, value=480)
    t.on_underrun()
    t.on_underrun()  # streams starting: the wait stays at 10 s
    assert t.value == 800 and t.relax_wait_s == 10.0
    for _ in range(10):
        t.on_window(1.0, headroom=400)
    assert t.value == 720  # one step down after 10 quiet seconds
    t.on_underrun()  # that was too low
    assert t.value == 880 and t.relax_wait_s == 20.0
    for _ in range(19):
        t.on_window(1.0, headroom=400)
    assert t.value == 880
    t.on_window(1.0, headroom=400)
    assert t.value == 800
    for _ in range(20):
        t.on_underrun()
        for _ in range(400):
            t.on_window(1.0, headroom=4000)
    assert t.relax_wait_s == 320.0  # capped
    t.on_window(1.0, headroom=100)  # too little headroom: never below what reads need
    assert t.value >= t.minimum


def test_target_forgets_start_up_underruns_once_they_stop() -> None:
    t = AdaptiveTarget(minimum=320, maximum=2400, step_up=160, step_down=80, value=480)
    t.restart(100.0)
    t.on_underrun(100.1)
    t.on_window(1.0, 400, 101.1)
    t.on_underrun(101.5)  # stream start and call set-up jitter
    assert t.value == 800
    t.on_window(1.0, 400, 102.5)
    assert t.value == 800  # not yet settled
    t.on_window(1.0, 400, 103.5)
    assert t.value == 480 and t.relax_wait_s == 10.0  # back where it started, at once
    t.on_underrun(104.0)  # past start-up: the usual rules
    for k in range(9):
        t.on_window(1.0, 400, 105.0 + k)
    assert t.value == 640


def test_target_never_relaxes_back_to_a_depth_that_underran() -> None:
    t = AdaptiveTarget(minimum=240, maximum=2400, step_up=160, step_down=80)
    t.restart(0.0)
    t.on_underrun(10.0)  # a stall at the minimum, well after start-up
    assert t.value == 400 and t.floor == 320
    for k in range(200):
        t.on_window(1.0, 1000, 11.0 + k)
    assert t.value == 320  # relaxed, but not to the depth that underran


def test_target_underrun_after_start_up_is_not_forgotten() -> None:
    t = AdaptiveTarget(minimum=320, maximum=2400, step_up=160, step_down=80, value=480)
    t.restart(100.0)
    t.on_underrun(100.5)  # start-up
    t.on_underrun(102.5)  # after start-up, before the first one was forgiven
    for k in range(5):
        t.on_window(1.0, 400, 103.5 + k)
    assert t.value == 800  # stays up until the usual relax


def test_direction_restarts_its_target_when_audio_starts() -> None:
    d = Direction(16000, 16000, 320, 320)
    start = d.target.value
    src = np.zeros(320, np.float32)
    out = np.zeros(320, np.float32)
    t = 0.0
    for k in range(400):  # 8 s; the consumer misses reads in its first second (start-up)
        t = k * 0.02
        d.produce(src, 0.02, t + 0.001)
        if not (10 <= k < 14 and k % 2):
            d.consume(out, t + 0.011)
        if 10 <= k < 14 and not k % 2:
            d.consume(out, t + 0.012)
            d.consume(out, t + 0.013)
    assert d.ring.underruns >= 1
    assert d.target.value == start


def _steady(d: Direction, seconds: float, t0: float = 0.0) -> float:
    """Producer and consumer in step (20 ms blocks, consumer 10 ms behind); returns the end."""
    src = np.zeros(320, np.float32)
    out = np.zeros(320, np.float32)
    t = t0
    for k in range(round(seconds / 0.02)):
        t = t0 + k * 0.02
        d.produce(src, 0.02, t)
        d.consume(out, t + 0.01)
    return t + 0.02


@pytest.mark.parametrize("stall", [0.05, 0.3])
def test_direction_counts_a_producer_stall_as_an_underrun(stall: float) -> None:
    d = Direction(16000, 16000, 320, 320)
    t = _steady(d, 3.0)
    out = np.zeros(320, np.float32)
    for k in range(round(stall / 0.02)):  # the producer is late: the consumer runs dry
        d.consume(out, t + 0.01 + k * 0.02)
    assert d.ring.underruns == 1 and d.underruns == 0  # not yet known to be a gap
    _steady(d, 1.0, t + stall)
    assert d.underruns == 1
    assert d.underrun_times == [pytest.approx(t + 0.01, abs=0.021)]


def test_direction_does_not_count_the_end_of_the_audio() -> None:
    """The call ends (or goes on hold) and pjmedia stops producing while the device still
    reads: one empty read, and no underrun in the stats."""
    d = Direction(16000, 16000, 320, 320)
    t = _steady(d, 3.0)
    out = np.zeros(320, np.float32)
    for k in range(100):
        d.consume(out, t + 0.01 + k * 0.02)
    assert d.ring.underruns == 1 and d.underruns == 0
    _steady(d, 3.0, t + 2.5)  # the next call's audio: a restart, not a gap
    assert d.underruns == 0


@pytest.mark.parametrize("device_rate", [48000, 16000])
@pytest.mark.parametrize("skew_ppm", [-300.0, 300.0])
@pytest.mark.parametrize("direction", ["capture", "playback"])
def test_direction_holds_its_queue_under_clock_skew(
    direction: str, skew_ppm: float, device_rate: int
) -> None:
    """A simulated device clock `skew_ppm` off pjmedia's for 5 minutes: no underrun/overrun,
    whether the producer resamples (48 kHz device) or slips samples (16 kHz device)."""
    bridge_rate = 16000
    dev_block = device_rate // 100
    if direction == "capture":  # device (producer, 10 ms blocks) -> bridge (consumer, 20 ms)
        d = Direction(device_rate, bridge_rate, 320, round(160 * bridge_rate / device_rate))
        prod_block, prod_period = dev_block, 0.010 / (1 + skew_ppm * 1e-6)
        cons_block, cons_period = 320, 0.020
    else:  # bridge (producer, 20 ms) -> device (consumer, 10 ms blocks)
        d = Direction(bridge_rate, device_rate, dev_block, dev_block * 2)
        prod_block, prod_period = 320, 0.020
        cons_block, cons_period = dev_block, 0.010 / (1 + skew_ppm * 1e-6)
    slipping = device_rate == bridge_rate
    assert isinstance(d.resampler, SampleSlipper) is slipping
    src = np.zeros(prod_block, np.float32)
    out = np.zeros(cons_block, np.float32)
    events = [(0.0, 0, "p"), (0.0005, 1, "c")]
    seq = 2
    end = 300.0
    levels: list[int] = []
    corrections: list[float] = []
    while events:
        t, _, kind = heapq.heappop(events)
        if t > end:
            break
        if kind == "p":
            d.produce(src, prod_block / (device_rate if direction == "capture" else bridge_rate), t)
            heapq.heappush(events, (t + prod_period, seq, "p"))
        else:
            d.consume(out, t)
            if t > 60:
                levels.append(d.ring.level)
                corrections.append(d.control.correction)
            heapq.heappush(events, (t + cons_period, seq, "c"))
        seq += 1
    assert d.ring.overruns == 0
    assert d.ring.underruns <= 1  # at most the first read before the producer primed
    # A fast device clock: the capture side produces fewer samples, the playback side more.
    expected = skew_ppm if direction == "capture" else -skew_ppm
    assert abs(float(np.mean(corrections)) * 1e6 - expected) < 60
    target_s = d.target.value / d.out_rate
    assert target_s < 0.06
    assert max(levels) < d.ring.capacity // 2
    if slipping:  # 300 ppm of 16 kHz for 5 minutes: ~1440 samples, one at a time
        slips = d.resampler.slips  # type: ignore[union-attr]
        assert 0.8 * 1440 < slips < 1.6 * 1440  # plus some back and forth at the start


def test_slipper_passes_blocks_through_until_a_whole_sample_is_owed() -> None:
    s = SampleSlipper(16000)
    block = np.sin(np.arange(320) / 5.0).astype(np.float32)
    assert s.process(block, 0.0) is block
    assert s.process(block, 0.001) is block  # 0.32 samples owed
    assert s.process(block, 0.001) is block  # 0.64
    out = s.process(block, 0.001)  # 0.96 + ... -> still < 1
    assert out is block
    dropped = s.process(block, 0.001)  # 1.28: one sample dropped
    assert len(dropped) == 319 and s.slips == 1
    inserted = [s.process(block, -0.002) for _ in range(4)]
    assert [len(x) for x in inserted].count(321) >= 1


@pytest.mark.parametrize("correction", [0.002, -0.002, 0.0003, -0.0003])
def test_slipper_keeps_a_tone_smooth_and_its_length_exact(correction: float) -> None:
    """A 440 Hz tone through 10 s of slips: output length follows the correction to within a
    sample, and no step between samples is larger than the tone's own steepest step (plus the
    warp of one slip): no clicks."""
    rate = 16000
    s = SampleSlipper(rate)
    t = np.arange(rate * 10) / rate
    tone = (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    pieces = [np.array(s.process(tone[k : k + 320], correction)) for k in range(0, len(tone), 320)]
    out = np.concatenate(pieces)
    assert abs(len(out) - len(tone) * (1 - correction)) <= 1.0
    steepest = 0.5 * 2 * np.pi * 440 / rate
    assert float(np.max(np.abs(np.diff(out)))) < steepest * 1.1
    assert s.slips == pytest.approx(abs(correction) * len(tone), abs=1)


# ------------------------------------------------------------------ meters


def test_meter_rms_and_peak_of_a_sine() -> None:
    now = [0.0]
    meter = LevelMeter(clock=lambda: now[0])
    t = np.arange(16000) / 16000
    meter.update((0.5 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32))
    reading = meter.reading()
    assert reading.rms_dbfs == pytest.approx(20 * math.log10(0.5 / math.sqrt(2)), abs=0.1)
    assert reading.peak_dbfs == pytest.approx(20 * math.log10(0.5), abs=0.1)
    # Peak holds, then decays; silence reads as silence.
    meter.update(np.zeros(160, np.float32))
    now[0] = 0.5
    assert meter.reading().peak_dbfs == pytest.approx(-6.02, abs=0.1)
    meter.update(np.zeros(160, np.float32))
    now[0] = 2.0
    late = meter.reading()
    assert late.peak_dbfs < -6.02 - 15 and late.rms_dbfs == SILENCE_DBFS


# ------------------------------------------------------------------ tones


def dominant(samples: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.argmax(spectrum) * rate / len(samples))


def test_tone_mixer_loops_ringback_and_ends_one_shots() -> None:
    mixer = ToneMixer(8000)
    mixer.ringback(True)
    block = np.zeros(8000 * 6, np.float32)
    mixer.mix_into(block)
    on = block[: 8000 // 2]
    assert dominant(on, 8000) == pytest.approx(425, abs=3)
    assert not block[8000 * 2 : 8000 * 4].any()  # 1 s on, 4 s off
    assert block[8000 * 5 + 100 :].any()  # looped
    mixer.ringback(False)
    mixer.dtmf("5")
    out = np.zeros(4000, np.float32)
    mixer.mix_into(out)
    assert out[:900].any() and not out[1000:].any()
    assert not mixer.busy
    low, high = DTMF_FREQS["5"]
    spectrum = np.abs(np.fft.rfft(dtmf_tone("5", 8000, 1.0)))
    assert sorted(np.argsort(spectrum)[-2:]) == [low, high]


def test_bundled_ringtone_is_the_generated_one() -> None:
    samples, rate = load_wav(RINGTONE)
    assert rate == 16000 and 2.5 < len(samples) / rate < 4
    assert dominant(samples[: int(0.4 * rate)], rate) in (
        pytest.approx(880, abs=5),
        pytest.approx(1320, abs=5),
    )


# ------------------------------------------------------------------ devices


class FakeDevices(DeviceManager):
    def __init__(self, devices: list[AudioDevice]) -> None:
        self._fake = tuple(devices)
        super().__init__()

    def refresh(self, *, force: bool = False) -> bool:
        self._devices = self._fake
        return False


def dev(index: int, name: str, ins: int, outs: int, **kw: Any) -> AudioDevice:
    return AudioDevice(index, name, "ALSA", ins, outs, 48000.0, **kw)


def test_device_choice_defaults_and_fallback() -> None:
    devices = FakeDevices(
        [
            dev(0, "Headset", 1, 2),
            dev(1, "Speakers", 0, 2, default_output=True),
            dev(2, "Webcam mic", 1, 0, default_input=True),
        ]
    )
    assert [d.name for d in devices.inputs()] == ["Headset", "Webcam mic"]
    assert devices.resolve(None, "input").name == "Webcam mic"  # type: ignore[union-attr]
    assert devices.resolve(None, "output").name == "Speakers"  # type: ignore[union-attr]
    assert devices.resolve("Headset (ALSA)", "output").index == 0  # type: ignore[union-attr]
    assert devices.resolve("headset", "input").index == 0  # type: ignore[union-attr]
    assert devices.resolve("Unplugged USB", "output").name == "Speakers"  # type: ignore[union-attr]
    assert devices.find("Webcam mic", "output") is None
    assert FakeDevices([]).resolve(None, "input") is None


# ------------------------------------------------------------------ adapter


@dataclass
class FakeEngine:
    listeners: list[Any] = field(default_factory=list)

    def subscribe(self, listener: Any) -> Any:
        self.listeners.append(listener)
        return lambda: self.listeners.remove(listener)

    def lines(self, *states: CallState) -> None:
        calls = tuple(
            CoreCall(
                call_id=CallId(f"c{i}"),
                direction=CallDirection.INCOMING,
                remote=RemoteParty(uri=f"sip:{i}@x", number=str(i)),
                line=i + 1,
                state=state,
                created_at=0.0,
            )
            for i, state in enumerate(states)
        )
        for listener in list(self.listeners):
            listener(LinesChanged(calls))


@dataclass
class Recorder:
    log: list[str] = field(default_factory=list)
    ringing: bool = False

    def start_ringing(self) -> bool:
        if not self.ringing:
            self.log.append("ring")
        self.ringing = True
        return True

    def stop_ringing(self) -> None:
        if self.ringing:
            self.log.append("stop")
        self.ringing = False

    def ringback(self, on: bool) -> None:
        self.log.append(f"ringback {on}")

    def call_waiting_beep(self) -> None:
        self.log.append("beep")


def test_call_tones_follow_the_lines() -> None:
    engine, tones, ringer = FakeEngine(), Recorder(), Recorder()
    adapter = CallTones(engine, tones, ringer)
    engine.lines(CallState.RINGING_IN)
    assert ringer.ringing
    engine.lines(CallState.CONNECTED)
    assert not ringer.ringing
    engine.lines(CallState.CONNECTED, CallState.RINGING_IN)
    engine.lines(CallState.CONNECTED, CallState.RINGING_IN)
    assert tones.log.count("beep") == 1 and not ringer.ringing
    engine.lines(CallState.RINGING_OUT)
    assert tones.log[-1] == "ringback True"
    engine.lines(CallState.CONNECTED)
    assert tones.log[-1] == "ringback False"
    adapter.close()
    assert engine.listeners == []


# ------------------------------------------------------------------ backlog drop


@pytest.mark.parametrize("direction", ["capture", "playback"])
def test_direction_drops_a_startup_backlog_at_once(direction: str) -> None:
    """A device that starts with a burst (200 ms at once) is back near the target after the
    next read instead of draining for tens of seconds at the drift clamp; the drop is counted
    as one overrun (audio was lost), and nothing more is dropped in the steady state."""
    if direction == "capture":  # device 10 ms blocks at 48 kHz -> bridge 20 ms frames
        d = Direction(48000, 16000, 320, 160)
        prod_block, prod_rate, cons_block, cons_per_prod = 480, 48000, 320, 0.5
    else:  # bridge 20 ms frames -> device 10 ms blocks at 48 kHz
        d = Direction(16000, 48000, 480, 960)
        prod_block, prod_rate, cons_block, cons_per_prod = 320, 16000, 480, 2.0
    src = np.full(prod_block, 0.25, np.float32)
    out = np.zeros(cons_block, np.float32)
    block_s = prod_block / prod_rate
    t = 100.0
    d.consume(out, t)  # the consumer runs (a call is on the bridge)
    for _ in range(round(0.2 / block_s)):  # 200 ms arrive at once
        d.produce(src, block_s, t)
    assert d.ring.level > d.resync_above + d.target.value
    d.consume(out, t + 0.001)
    assert d.ring.level <= d.target.value
    assert d.ring.overruns == 1 and d.ring.underruns == 0
    consumed = 0.0
    for _ in range(1000):
        t += block_s
        d.produce(src, block_s, t)
        consumed += cons_per_prod
        while consumed >= 1.0:
            consumed -= 1.0
            d.consume(out, t + 0.0005)
            assert out.all()
    assert d.ring.overruns == 1 and d.ring.underruns == 0
    assert d.ring.level <= d.target.value + d.resync_above


def test_direction_without_backlog_drop_keeps_the_backlog() -> None:
    d = Direction(48000, 16000, 320, 160)
    d.resync = False
    out = np.zeros(320, np.float32)
    d.consume(out, 0.0)
    for _ in range(20):
        d.produce(np.zeros(480, np.float32), 0.01, 0.0)
    before = d.ring.level
    d.consume(out, 0.001)
    assert d.ring.level == before - 320


# ------------------------------------------------------------------ housekeeping


def test_housekeeper_polls_every_tick_and_refreshes_only_without_streams() -> None:
    from communicator.sip.audio import AudioHousekeeper, OpenStreams

    class Bridge:
        polls = 0
        refreshes = 0

        def poll(self) -> None:
            self.polls += 1

        def refresh_devices(self) -> bool:
            self.refreshes += 1
            return True

    now = [0.0]
    bridge = Bridge()
    keeper = AudioHousekeeper(bridge, refresh_every_s=10.0, clock=lambda: now[0])
    saved = OpenStreams.count
    try:
        OpenStreams.count = 0
        for _ in range(49):  # 9.8 s of 200 ms ticks
            now[0] += 0.2
            keeper.tick()
        assert bridge.polls == 49 and bridge.refreshes == 0
        OpenStreams.count = 1  # a call is up: the list is not re-read (PortAudio in use)
        for _ in range(10):
            now[0] += 0.2
            keeper.tick()
        assert bridge.refreshes == 0
        OpenStreams.count = 0  # idle again: re-read at the next tick
        now[0] += 0.2
        keeper.tick()
        assert bridge.refreshes == 1 and keeper.refreshed == 1 and bridge.polls == 60
    finally:
        OpenStreams.count = saved


def test_housekeeper_ticks_often_only_while_a_stream_is_open() -> None:
    """Idle, the timer sleeps until the next device-list refresh (not 5 wake-ups a second);
    an open stream (call, tone, ringer) brings the 200 ms tick back."""
    from communicator.sip.audio import AudioHousekeeper, OpenStreams

    class Bridge:
        refreshes = 0

        def poll(self) -> None:
            pass

        def refresh_devices(self) -> bool:
            self.refreshes += 1
            return True

    now = [0.0]
    bridge = Bridge()
    keeper = AudioHousekeeper(bridge, refresh_every_s=10.0, clock=lambda: now[0])
    heard: list[int] = []
    saved = OpenStreams.count
    unsubscribe = OpenStreams.subscribe(lambda: heard.append(OpenStreams.count))
    try:
        OpenStreams.count = 0
        assert keeper.next_interval_ms() == 10_000
        now[0] += 9.9
        assert keeper.next_interval_ms() == keeper.interval_ms  # never shorter than a tick
        OpenStreams.opened()  # a call's streams
        assert heard == [1]
        assert keeper.next_interval_ms() == keeper.interval_ms
        OpenStreams.closed()
        now[0] += 0.1
        keeper.tick()  # the refresh is due: done, and the next one is 10 s away
        assert bridge.refreshes == 1
        assert keeper.next_interval_ms() == 10_000
        unsubscribe()
        OpenStreams.opened()
        OpenStreams.closed()
        assert heard == [1]
        # Where the platform tells of device changes, the periodic re-read is a safety net
        # and a change is re-read half a second later.
        keeper.refresh_every_s = 300.0
        assert keeper.next_interval_ms() == 10_000  # the refresh already planned stays
        now[0] += 10.0
        keeper.tick()
        assert bridge.refreshes == 2 and keeper.next_interval_ms() == 300_000
        keeper.devices_may_have_changed()
        assert keeper.next_interval_ms() == 500
        now[0] += 0.5
        keeper.tick()
        assert bridge.refreshes == 3
    finally:
        unsubscribe()
        OpenStreams.count = saved


def test_housekeeper_polls_the_ringer_too() -> None:
    """A ringer device lost while ringing is noticed by the same 200 ms tick."""
    from communicator.sip.audio import AudioHousekeeper

    polled: list[str] = []

    class Polled:
        def __init__(self, name: str) -> None:
            self.name = name

        def poll(self) -> None:
            polled.append(self.name)

        def refresh_devices(self) -> bool:
            return False

    keeper = AudioHousekeeper(Polled("bridge"), ringer=Polled("ringer"))
    keeper.tick()
    keeper.tick()
    assert polled == ["bridge", "ringer", "bridge", "ringer"]


# ------------------------------------------------------------------ port callbacks


def test_port_callbacks_convert_frames_in_place() -> None:
    """Frames in and out through the vectors' storage (no bytes() or ctypes copies)."""
    import time

    import pjsua2 as pj

    from communicator.sip.audio.callbacks import FRAME_BYTES, FRAME_SAMPLES, PortCore

    core = PortCore(time.monotonic)
    core.capture = Direction(16000, 16000, FRAME_SAMPLES, 160)
    core.playback = Direction(16000, 16000, 160, FRAME_SAMPLES)
    core.capture.resync = core.playback.resync = False
    now = time.monotonic()
    core.capture.last_served = core.playback.last_served = now
    core.capture.ring.prime = 1

    # Far end -> speaker: int16 frame -> float samples in the playback ring.
    sent = (np.arange(FRAME_SAMPLES, dtype=np.int16) - 160) * 100
    frame = pj.MediaFrame()
    frame.buf = pj.ByteVector(sent.tobytes())
    frame.size = FRAME_BYTES
    frame.type = pj.PJMEDIA_FRAME_TYPE_AUDIO
    core.frame_received(frame)
    got = np.zeros(core.playback.ring.level, np.float32)
    core.playback.ring.read_into(got)
    assert len(got) >= FRAME_SAMPLES - 40  # the resampler holds a few samples back
    assert np.max(np.abs(got)) <= 160 * 100 / 32768 + 0.01

    # Microphone -> far end: float samples in the capture ring -> int16 frame.
    core.capture.ring.write(np.full(FRAME_SAMPLES, 0.5, np.float32))
    out = pj.MediaFrame()
    core.frame_requested(out)
    samples = np.frombuffer(bytes(out.buf), dtype=np.int16)
    assert out.type == pj.PJMEDIA_FRAME_TYPE_AUDIO and len(samples) == FRAME_SAMPLES
    assert np.all(samples == 16383)
    core.muted = True
    core.capture.ring.write(np.full(FRAME_SAMPLES, 0.5, np.float32))
    core.frame_requested(out)
    assert not np.frombuffer(bytes(out.buf), dtype=np.int16).any()
    assert core.failures == []


# ------------------------------------------------------------------ device notices


def test_device_notices_in_the_agents_words() -> None:
    from communicator.sip.audio.notices import (
        disconnected_device_text,
        lost_device_text,
        missing_device_text,
        no_device_text,
    )

    headset = dev(3, "Headset", 1, 1)
    builtin = dev(0, "Built-in", 1, 1)
    # A chosen device that resolved to itself (by name or label) is not missing.
    assert missing_device_text("microphone", "Headset", headset) is None
    assert missing_device_text("microphone", headset.label, headset) is None
    assert missing_device_text("speaker", None, builtin) is None  # the default was asked for
    assert (
        missing_device_text("speaker", "Headset", builtin)
        == "The speaker Headset is not connected; using the default speaker."
    )
    assert missing_device_text("microphone", "Headset", None) is not None
    assert no_device_text(True, True) is None
    assert no_device_text(False, True) == "No microphone was found"
    assert no_device_text(True, False) == "No speaker was found"
    assert no_device_text(False, False) == "No microphone/speaker was found"
    assert lost_device_text("speaker", headset, None) is None
    assert (
        lost_device_text("speaker", headset, builtin)
        == "The speaker Headset stopped working; now using Built-in."
    )
    assert (
        lost_device_text("microphone", headset, headset)
        == "The microphone Headset stopped and was restarted."
    )
    # A reported device change: news only when the old device is gone from the list.
    assert disconnected_device_text("speaker", builtin, headset, still_listed=True) is None
    assert disconnected_device_text("speaker", headset, headset, still_listed=False) is None
    assert (
        disconnected_device_text("speaker", headset, builtin, still_listed=False)
        == "The speaker Headset was disconnected; now using Built-in."
    )
