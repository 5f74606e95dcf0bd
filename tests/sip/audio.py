"""Find several tones in one recording (a conference mixes two or three)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from tests.rig.audio_check import read_wav


def tone_levels(
    path: Path, freqs: Sequence[float], *, skip_ms: float = 300.0
) -> dict[float, float]:
    """Level (dB relative to the strongest spectral peak) at each of ``freqs`` in ``path``."""
    samples, rate, _ = read_wav(path)
    samples = samples[int(rate * skip_ms / 1000) :]
    if len(samples) < rate // 10 or not np.any(samples):
        return {f: float("-inf") for f in freqs}
    x = samples - np.mean(samples)
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    spectrum[0] = 0.0
    top = float(np.max(spectrum)) or 1e-300
    bin_hz = rate / len(x)
    out: dict[float, float] = {}
    for freq in freqs:
        k = round(freq / bin_hz)
        window = spectrum[max(0, k - 3) : k + 4]
        peak = float(np.max(window)) if len(window) else 0.0
        out[freq] = 20 * np.log10(max(peak, 1e-300) / top)
    return out


def assert_tones(
    path: Path,
    present: Sequence[float],
    absent: Sequence[float] = (),
    *,
    within_db: float = 20.0,
) -> None:
    """Each frequency of ``present`` is within ``within_db`` of the strongest peak; each of
    ``absent`` is well below it."""
    levels = tone_levels(path, [*present, *absent])
    problems = [f"{f:g} Hz at {levels[f]:.1f} dB" for f in present if levels[f] < -within_db]
    problems += [
        f"{f:g} Hz should be absent but is at {levels[f]:.1f} dB"
        for f in absent
        if levels[f] > -within_db - 10
    ]
    assert not problems, f"{path}: " + "; ".join(problems) + f" (levels {levels})"
