"""Recording formats: PCM WAV transcoded to WAV49 / raw GSM 6.10 with libsndfile (soundfile).

The unit tests convert real WAV files (no pjsua2); the rig tests record real calls in each
format and decode the result.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from communicator.provisioning.schema import RecordFormat
from communicator.sip.recording import (
    TranscodeError,
    final_path,
    intermediate_path,
    transcode,
)
from tests.rig.audio_check import dominant_frequency_of, write_tone_wav
from tests.sip.helpers import wait_recorded

sf = pytest.importorskip("soundfile")


def decode(path: Path, fmt: RecordFormat) -> tuple[np.ndarray, int]:
    """Decode a recording with libsndfile: mono float samples and the rate."""
    if fmt is RecordFormat.GSM:
        data, rate = sf.read(str(path), format="RAW", subtype="GSM610", samplerate=8000, channels=1)
    else:
        data, rate = sf.read(str(path))
    return np.asarray(data, dtype=np.float64), int(rate)


def assert_gsm_tone(path: Path, fmt: RecordFormat, freq: float, *, min_seconds: float) -> None:
    info = (
        None
        if fmt is RecordFormat.GSM
        else sf.info(str(path))  # the WAV49 header says what is inside
    )
    if info is not None:
        assert (info.format, info.subtype, info.samplerate, info.channels) == (
            "WAV",
            "GSM610",
            8000,
            1,
        )
    else:
        assert path.stat().st_size % 33 == 0  # whole 20 ms GSM 6.10 frames
    samples, rate = decode(path, fmt)
    assert rate == 8000
    assert len(samples) / rate >= min_seconds
    loud = samples[np.abs(samples) > 0.01]
    assert len(loud) > rate * min_seconds / 2, "the recording is (nearly) silent"
    found = dominant_frequency_of(samples, rate)
    assert found is not None and abs(found - freq) < 10.0, f"{found} Hz, wanted {freq} Hz"


@pytest.mark.parametrize(
    ("fmt", "suffix"), [(RecordFormat.WAV49, ".wav"), (RecordFormat.GSM, ".gsm")]
)
@pytest.mark.parametrize(("rate", "channels"), [(16000, 1), (8000, 1), (16000, 2)])
def test_transcode_to_gsm_formats(
    tmp_path: Path, fmt: RecordFormat, suffix: str, rate: int, channels: int
) -> None:
    stem = tmp_path / "20260101-120000-call"
    pcm = intermediate_path(stem, fmt)
    assert pcm.name == "20260101-120000-call.pcm.wav"
    write_tone_wav(pcm, 700.0, 2.0, rate, dbfs=-6.0, channels=channels)
    result = transcode(pcm, fmt)
    assert result == final_path(stem, fmt) and result.suffix == suffix
    assert not pcm.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [result.name]
    assert_gsm_tone(result, fmt, 700.0, min_seconds=1.9)


def test_wav_is_recorded_in_place_and_not_transcoded(tmp_path: Path) -> None:
    stem = tmp_path / "call"
    path = intermediate_path(stem, RecordFormat.WAV)
    assert path == final_path(stem, RecordFormat.WAV) == tmp_path / "call.wav"
    write_tone_wav(path, 700.0, 0.5)
    assert transcode(path, RecordFormat.WAV) == path and path.exists()


@pytest.mark.parametrize("fmt", [RecordFormat.WAV49, RecordFormat.GSM])
def test_failed_transcode_keeps_the_pcm_recording(tmp_path: Path, fmt: RecordFormat) -> None:
    stem = tmp_path / "call"
    pcm = intermediate_path(stem, fmt)
    pcm.write_bytes(b"RIFF but not really a WAV file")
    with pytest.raises(TranscodeError) as error:
        transcode(pcm, fmt)
    kept = error.value.kept
    assert kept == tmp_path / "call.wav"
    assert kept.read_bytes() == b"RIFF but not really a WAV file"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["call.wav"]


# ------------------------------------------------------------------------- real calls


@pytest.mark.rig
@pytest.mark.timeout(90)
@pytest.mark.parametrize(
    ("fmt", "suffix"), [(RecordFormat.WAV49, ".wav"), (RecordFormat.GSM, ".gsm")]
)
def test_recorded_call_is_stored_in_the_profile_format(
    engine_factory: Any,
    kamailio: Any,
    peer_factory: Any,
    qtbot: Any,
    tmp_path: Path,
    fmt: RecordFormat,
    suffix: str,
) -> None:
    from tests.sip.test_calls import answering_peer, records_of, signed_in_engine
    from tests.sip.test_features import connected_call

    engine = signed_in_engine(
        engine_factory, kamailio, qtbot, "1006", recording={"enabled": True, "format": fmt.value}
    )
    records = records_of(engine)
    far = answering_peer(peer_factory, "far", "1007")
    call, far_call = connected_call(qtbot, engine, far, "1007")
    far.command("play_tone", call_id=far_call, freq=700)
    wait_recorded(qtbot, engine, call, 1.0)
    # Whoever gets the record (the outbox) may upload the file at once: it must be final.
    seen: list[tuple[str | None, bool]] = []
    engine.on_call_finished = lambda r: seen.append(
        (r.recording_path, r.recording_path is not None and Path(r.recording_path).is_file())
    )
    engine.hangup(call)
    qtbot.waitUntil(lambda: bool(records), timeout=10000)
    (record,) = records
    assert seen == [(record.recording_path, True)]
    path = Path(record.recording_path or "")
    assert path.parent == tmp_path / "recordings" and path.suffix == suffix
    assert not path.name.endswith(".pcm.wav")
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]  # no intermediate
    assert_gsm_tone(path, fmt, 700.0, min_seconds=0.8)
    assert engine.failures == []
    assert not any("PCM" in n for n in engine.state.notices)


@pytest.mark.rig
@pytest.mark.timeout(90)
def test_failed_conversion_keeps_the_pcm_recording_and_tells_the_agent(
    engine_factory: Any,
    kamailio: Any,
    peer_factory: Any,
    qtbot: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import communicator.sip.recording as recording
    from tests.rig.audio_check import assert_tone
    from tests.sip.test_calls import answering_peer, records_of, signed_in_engine
    from tests.sip.test_features import connected_call

    def broken(source: Path, target: Path, fmt: RecordFormat) -> None:
        target.write_bytes(b"half a file")
        raise OSError("disk full")

    monkeypatch.setattr(recording, "convert_pcm", broken)
    engine = signed_in_engine(
        engine_factory, kamailio, qtbot, "1006", recording={"enabled": True, "format": "gsm"}
    )
    records = records_of(engine)
    far = answering_peer(peer_factory, "far", "1007")
    call, far_call = connected_call(qtbot, engine, far, "1007")
    far.command("play_tone", call_id=far_call, freq=700)
    wait_recorded(qtbot, engine, call, 1.0)
    engine.hangup(call)
    qtbot.waitUntil(lambda: bool(records), timeout=10000)
    path = Path(records[0].recording_path or "")
    assert path.suffix == ".wav" and not path.name.endswith(".pcm.wav")
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]
    assert_tone(path, 700.0, tolerance_hz=5.0, min_dbfs=-35.0)
    assert any(
        "could not be converted to gsm" in n and "disk full" in n for n in engine.state.notices
    )
