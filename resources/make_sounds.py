"""Generate the bundled sounds: ``python resources/make_sounds.py`` (rewrites the WAVs here).

``ringtone.wav``: two 0.4 s bursts of 880 Hz + 1320 Hz (a fifth above) with a 0.2 s gap, then
2 s of silence, 16 kHz mono 16-bit; the ringer loops it. The same pattern is built into
``communicator.sip.audio.tones.synthetic_ringtone`` as a fallback.
"""

from __future__ import annotations

import sys
import wave
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
RATE = 16000


def burst(seconds: float) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    x = 0.3 * np.sin(2 * np.pi * 880.0 * t) + 0.3 * np.sin(2 * np.pi * 1320.0 * t)
    ramp = int(0.005 * RATE)
    env = np.ones_like(x)
    env[:ramp] = np.linspace(0, 1, ramp)
    env[-ramp:] = np.linspace(1, 0, ramp)
    return x * env


def main() -> int:
    gap = np.zeros(int(0.2 * RATE))
    tail = np.zeros(int(2.0 * RATE))
    samples = np.concatenate([burst(0.4), gap, burst(0.4), tail])
    data = (np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes()
    path = HERE / "ringtone.wav"
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(RATE)
        wav.writeframes(data)
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
