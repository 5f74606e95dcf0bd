"""Call recordings in the profile's format: PCM WAV from pjmedia, transcoded afterwards.

pjsua2's `AudioMediaRecorder` (pjproject 2.15) writes 16-bit PCM WAV only. For the profile's
other formats the engine records PCM WAV to an intermediate file (`intermediate_path`), and
once pjmedia has finished it, `transcode` converts it with libsndfile (the ``soundfile``
package bundles it, with its GSM 6.10 codec):

* ``wav``   - the PCM WAV as recorded (no transcoding);
* ``wav49`` - WAV container with GSM 6.10 audio (WAVE_FORMAT_GSM610), 8 kHz mono, ``.wav``;
* ``gsm``   - raw GSM 6.10 frames (33 bytes per 20 ms), 8 kHz mono, ``.gsm``.

GSM 6.10 is an 8 kHz codec: the recording is mixed down to mono and resampled to 8 kHz
first. `transcode` touches no pjsua2 and may run on any thread; it streams in blocks, so a
long call needs little memory. It writes the result under a temporary name and renames it
when complete; on success the intermediate is removed, on failure the partial output is
removed and the PCM WAV is kept (renamed to the plain ``.wav`` name) - a recording is never
lost to a failed conversion.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import TYPE_CHECKING

from communicator.provisioning.schema import RecordFormat

if TYPE_CHECKING:  # numpy (23 MB of RSS) is imported by a transcoding only, not by the engine
    import numpy as np

GSM_RATE = 8000
BLOCK_FRAMES = 16000
INTERMEDIATE_SUFFIX = ".pcm.wav"


class TranscodeError(Exception):
    """The conversion failed; ``kept`` is the PCM WAV that remains as the recording."""

    def __init__(self, message: str, kept: Path) -> None:
        super().__init__(message)
        self.kept = kept


def needs_transcoding(fmt: RecordFormat) -> bool:
    return fmt is not RecordFormat.WAV


def final_path(stem: Path, fmt: RecordFormat) -> Path:
    """Where the finished recording of ``stem`` (directory/name without suffix) goes."""
    return stem.with_name(stem.name + (".gsm" if fmt is RecordFormat.GSM else ".wav"))


def intermediate_path(stem: Path, fmt: RecordFormat) -> Path:
    """Where pjmedia records PCM for ``stem``: the final file itself for ``wav``."""
    if not needs_transcoding(fmt):
        return final_path(stem, fmt)
    return stem.with_name(stem.name + INTERMEDIATE_SUFFIX)


def _stem_of(pcm: Path) -> Path:
    name = pcm.name
    if name.endswith(INTERMEDIATE_SUFFIX):
        return pcm.with_name(name[: -len(INTERMEDIATE_SUFFIX)])
    return pcm.with_suffix("")


def transcode(pcm: Path, fmt: RecordFormat) -> Path:
    """Convert the complete PCM WAV ``pcm`` to ``fmt``; returns the final file.

    Raises `TranscodeError` (with the kept PCM WAV) when the conversion fails."""
    if not needs_transcoding(fmt):
        return pcm
    stem = _stem_of(pcm)
    target = final_path(stem, fmt)
    partial = target.with_name(target.name + ".part")
    try:
        convert_pcm(pcm, partial, fmt)
        os.replace(partial, target)
    except Exception as error:
        with contextlib.suppress(OSError):
            partial.unlink()
        kept = final_path(stem, RecordFormat.WAV)
        try:
            os.replace(pcm, kept)
        except OSError:
            kept = pcm
        raise TranscodeError(f"{type(error).__name__}: {error}", kept) from error
    with contextlib.suppress(OSError):
        pcm.unlink()
    return target


def convert_pcm(source: Path, target: Path, fmt: RecordFormat) -> None:
    """Write the PCM WAV ``source`` as ``fmt`` to ``target`` (8 kHz mono GSM 6.10)."""
    import numpy
    import soundfile as sf

    if fmt is RecordFormat.WAV49:
        container, subtype = "WAV", "GSM610"
    elif fmt is RecordFormat.GSM:
        container, subtype = "RAW", "GSM610"
    else:  # pragma: no cover - every format is handled above
        raise ValueError(f"no conversion to {fmt.value}")
    with sf.SoundFile(str(source)) as reader:
        resampler = _Resampler(reader.samplerate, GSM_RATE)
        with sf.SoundFile(
            str(target),
            mode="w",
            samplerate=GSM_RATE,
            channels=1,
            format=container,
            subtype=subtype,
        ) as writer:
            for block in reader.blocks(blocksize=BLOCK_FRAMES, dtype="float32", always_2d=True):
                mono = block.mean(axis=1) if block.shape[1] > 1 else block[:, 0]
                writer.write(resampler.process(mono, end=False))
            writer.write(resampler.process(numpy.zeros(0, dtype=numpy.float32), end=True))


class _Resampler:
    """Streaming sample-rate conversion (libsamplerate), or a pass-through at the same rate."""

    def __init__(self, rate_in: int, rate_out: int) -> None:
        self._ratio = rate_out / rate_in
        self._resampler = None
        if rate_in != rate_out:
            import samplerate

            self._resampler = samplerate.Resampler("sinc_medium", channels=1)

    def process(self, samples: np.ndarray, *, end: bool) -> np.ndarray:
        if self._resampler is None:
            return samples
        import numpy

        out = self._resampler.process(samples, self._ratio, end_of_input=end)
        return numpy.clip(numpy.asarray(out, dtype=numpy.float32), -1.0, 1.0)


def wav_complete(path: Path) -> bool:
    """Whether pjmedia has written the final RIFF size of a WAV file (its recorder is gone)."""
    try:
        with path.open("rb") as handle:
            head = handle.read(12)
        size = path.stat().st_size
    except OSError:
        return False
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return False
    return int.from_bytes(head[4:8], "little") == size - 8 and size >= 44
