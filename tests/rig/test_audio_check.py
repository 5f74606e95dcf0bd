"""Unit tests of the audio checks (no servers needed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.rig.audio_check import analyse, assert_tone, write_tone_wav, write_wav


@pytest.mark.parametrize(
    ("freq", "rate", "channels"),
    [(440.0, 16000, 1), (1000.0, 8000, 1), (697.0, 44100, 2), (1633.0, 48000, 1)],
)
def test_generated_tone_is_detected(tmp_path: Path, freq: float, rate: int, channels: int) -> None:
    path = write_tone_wav(tmp_path / "tone.wav", freq, 1.0, rate, dbfs=-6.0, channels=channels)

    result = assert_tone(path, freq, tolerance_hz=1.0, min_dbfs=-12.0, skip_ms=100)

    assert result.sample_rate == rate
    assert result.channels == channels
    assert result.frequency == pytest.approx(freq, abs=0.5)
    # A sine with peak -6 dBFS has an RMS level of -6 - 3.01 dBFS.
    assert result.dbfs == pytest.approx(-9.01, abs=0.1)


def test_silent_lead_in_is_skipped(tmp_path: Path) -> None:
    rate = 16000
    t = np.arange(rate, dtype=np.float64) / rate
    samples = np.concatenate([np.zeros(rate // 2), 0.25 * np.sin(2 * np.pi * 1000.0 * t)])
    path = write_wav(tmp_path / "late.wav", samples, rate)

    result = analyse(path)

    assert result.analysed_seconds == pytest.approx(1.0, abs=0.03)
    assert result.frequency == pytest.approx(1000.0, abs=1.0)
    assert result.dbfs == pytest.approx(20 * np.log10(0.25 / np.sqrt(2)), abs=0.2)


def test_skip_ms_drops_the_start(tmp_path: Path) -> None:
    rate = 16000
    t = np.arange(rate, dtype=np.float64) / rate
    samples = np.concatenate(
        [0.5 * np.sin(2 * np.pi * 300.0 * t), 0.1 * np.sin(2 * np.pi * 2000.0 * t)]
    )
    path = write_wav(tmp_path / "two.wav", samples, rate)

    assert analyse(path).frequency == pytest.approx(300.0, abs=1.0)
    assert analyse(path, skip_ms=1000).frequency == pytest.approx(2000.0, abs=1.0)


def test_silence_fails_with_a_readable_message(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "silence.wav", np.zeros(16000), 16000)

    with pytest.raises(AssertionError) as excinfo:
        assert_tone(path, 440.0)

    message = str(excinfo.value)
    assert "no 440 Hz tone in" in message
    assert "no tone at all" in message
    assert "silence.wav" in message
    assert "dBFS" in message


def test_wrong_frequency_and_low_level_are_reported(tmp_path: Path) -> None:
    path = write_tone_wav(tmp_path / "quiet.wav", 1000.0, 1.0, 16000, dbfs=-50.0)

    with pytest.raises(AssertionError) as excinfo:
        assert_tone(path, 440.0, tolerance_hz=5.0, min_dbfs=-30.0)

    message = str(excinfo.value)
    assert "dominant frequency 1000.0 Hz, expected 440.0 Hz" in message
    assert "below -30.0 dBFS" in message


def test_only_16_bit_pcm_is_accepted(tmp_path: Path) -> None:
    import wave

    path = tmp_path / "8bit.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(1)
        w.setframerate(8000)
        w.writeframes(bytes(800))

    with pytest.raises(ValueError, match="16-bit"):
        analyse(path)
