"""Audio checks for recorded calls: dominant frequency and level of a WAV file.

``analyse(path)`` reads a 16-bit PCM WAV (mono or stereo, any rate), drops the first
``skip_ms`` and the silent head and tail, and returns the dominant frequency (Hann-windowed FFT
with parabolic interpolation between bins) and the RMS level in dBFS of what is left.
``assert_tone`` turns that into a test assertion with a readable failure message.
"""

from __future__ import annotations

import math
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

SILENCE_DBFS = -60.0
FRAME_MS = 20


@dataclass(frozen=True)
class ToneAnalysis:
    """What :func:`analyse` found in a WAV file."""

    path: str
    sample_rate: int
    channels: int
    total_seconds: float
    analysed_seconds: float
    frequency: float | None  # None when everything analysed was silence
    dbfs: float  # RMS level of the analysed (non-silent) part; -inf for digital silence
    peak_dbfs: float

    def describe(self) -> str:
        freq = f"{self.frequency:.1f} Hz" if self.frequency is not None else "none (silence)"
        return (
            f"{self.path}: {self.total_seconds:.2f} s at {self.sample_rate} Hz x{self.channels}, "
            f"analysed {self.analysed_seconds:.2f} s: dominant frequency {freq}, "
            f"RMS {self.dbfs:.1f} dBFS, peak {self.peak_dbfs:.1f} dBFS"
        )


def _dbfs(value: float) -> float:
    return 20.0 * math.log10(value) if value > 0 else float("-inf")


def read_wav(path: Path | str, channel: int | None = None) -> tuple[FloatArray, int, int]:
    """Samples in [-1, 1) (the mean of the channels unless ``channel`` is given), rate, channels."""
    with wave.open(str(path), "rb") as w:
        if w.getsampwidth() != 2:
            raise ValueError(
                f"{path}: only 16-bit PCM is supported (got {8 * w.getsampwidth()} bit)"
            )
        if w.getcomptype() != "NONE":
            raise ValueError(f"{path}: compressed WAV ({w.getcompname()}) is not supported")
        rate, channels, frames = w.getframerate(), w.getnchannels(), w.getnframes()
        raw = w.readframes(frames)
    data = np.frombuffer(raw, dtype="<i2").astype(np.float64) / 32768.0
    if channels > 1:
        data = data[: len(data) - len(data) % channels].reshape(-1, channels)
        data = data[:, channel] if channel is not None else data.mean(axis=1)
    return np.asarray(data, dtype=np.float64), rate, channels


def _non_silent(samples: FloatArray, rate: int, silence_dbfs: float) -> FloatArray:
    """The span from the first to the last 20 ms frame louder than ``silence_dbfs``."""
    frame = max(1, rate * FRAME_MS // 1000)
    count = len(samples) // frame
    if count == 0:
        return samples
    frames = samples[: count * frame].reshape(count, frame)
    rms = np.sqrt(np.mean(frames**2, axis=1))
    threshold = 10 ** (silence_dbfs / 20.0)
    loud = np.nonzero(rms > threshold)[0]
    if len(loud) == 0:
        return samples[:0]
    return samples[loud[0] * frame : (loud[-1] + 1) * frame]


def dominant_frequency_of(samples: FloatArray, rate: int) -> float | None:
    """The frequency of the strongest spectral peak (Hann window, parabolic interpolation)."""
    if len(samples) < 16 or not np.any(samples):
        return None
    x = samples - np.mean(samples)
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    spectrum[0] = 0.0
    k = int(np.argmax(spectrum))
    offset = 0.0
    if 0 < k < len(spectrum) - 1:
        a, b, c = (math.log(max(v, 1e-300)) for v in spectrum[k - 1 : k + 2])
        denom = a - 2 * b + c
        if denom != 0:
            offset = 0.5 * (a - c) / denom
    return (k + offset) * rate / len(x)


def analyse(
    path: Path | str,
    *,
    skip_ms: float = 0.0,
    channel: int | None = None,
    silence_dbfs: float = SILENCE_DBFS,
) -> ToneAnalysis:
    """Dominant frequency and RMS level of the non-silent part of a WAV after ``skip_ms``."""
    samples, rate, channels = read_wav(path, channel)
    total = len(samples) / rate if rate else 0.0
    skipped = samples[int(rate * skip_ms / 1000.0) :]
    part = _non_silent(skipped, rate, silence_dbfs)
    rms = float(np.sqrt(np.mean(part**2))) if len(part) else 0.0
    peak = float(np.max(np.abs(part))) if len(part) else 0.0
    return ToneAnalysis(
        path=str(path),
        sample_rate=rate,
        channels=channels,
        total_seconds=total,
        analysed_seconds=len(part) / rate if rate else 0.0,
        frequency=dominant_frequency_of(part, rate),
        dbfs=_dbfs(rms),
        peak_dbfs=_dbfs(peak),
    )


def dominant_frequency(path: Path | str, *, skip_ms: float = 0.0) -> float | None:
    return analyse(path, skip_ms=skip_ms).frequency


def rms_dbfs(path: Path | str, *, skip_ms: float = 0.0) -> float:
    return analyse(path, skip_ms=skip_ms).dbfs


def assert_tone(
    path: Path | str,
    freq: float,
    *,
    tolerance_hz: float = 5.0,
    min_dbfs: float = -30.0,
    skip_ms: float = 200.0,
    min_seconds: float = 0.2,
) -> ToneAnalysis:
    """Assert that ``path`` holds a tone of ``freq`` Hz (within ``tolerance_hz``) at a level of
    at least ``min_dbfs``, over at least ``min_seconds`` of non-silent audio after ``skip_ms``.
    """
    result = analyse(path, skip_ms=skip_ms)
    problems: list[str] = []
    if result.analysed_seconds < min_seconds:
        problems.append(
            f"only {result.analysed_seconds:.2f} s of non-silent audio (want >= {min_seconds} s)"
        )
    if result.frequency is None:
        problems.append(f"no tone at all: expected {freq:.1f} Hz")
    elif abs(result.frequency - freq) > tolerance_hz:
        problems.append(
            f"dominant frequency {result.frequency:.1f} Hz, expected {freq:.1f} Hz "
            f"+/- {tolerance_hz} Hz"
        )
    if not result.dbfs >= min_dbfs:
        problems.append(f"level {result.dbfs:.1f} dBFS is below {min_dbfs:.1f} dBFS")
    if problems:
        raise AssertionError(
            f"no {freq:.0f} Hz tone in {path}: " + "; ".join(problems) + f"\n({result.describe()})"
        )
    return result


def write_wav(path: Path | str, samples: FloatArray, rate: int, channels: int = 1) -> Path:
    """Write float samples in [-1, 1] as 16-bit PCM (duplicated to ``channels``)."""
    pcm = np.clip(np.round(samples * 32767.0), -32768, 32767).astype("<i2")
    if channels > 1:
        pcm = np.repeat(pcm[:, None], channels, axis=1).reshape(-1)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())
    return Path(path)


def write_tone_wav(
    path: Path | str,
    freq: float,
    seconds: float,
    rate: int = 16000,
    *,
    dbfs: float = -6.0,
    channels: int = 1,
) -> Path:
    """Write a sine tone of ``freq`` Hz (peak level ``dbfs``) as a 16-bit WAV."""
    t = np.arange(round(seconds * rate), dtype=np.float64) / rate
    amplitude = 10 ** (dbfs / 20.0)
    return write_wav(path, amplitude * np.sin(2 * np.pi * freq * t), rate, channels)
