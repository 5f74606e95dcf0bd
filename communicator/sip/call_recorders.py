"""Recording calls: a pjsua2 recorder per established call, and the record held back until
the recording is a complete file in the profile's format.

A recorded call's `CallRecord` waits until its recorder is destroyed and its WAV file is
complete (pjmedia writes the RIFF sizes when the recorder's bridge port goes, on the media
clock, a few frames later; at most `RECORDING_CLOSE_TIMEOUT`): whoever gets the record may
upload the file at once. For ``wav49`` and ``gsm`` the call is recorded to an intermediate
PCM WAV, which a worker thread (no pjsua2 there) converts once it is complete
(`communicator.sip.recording`); the record waits for that too and names only the final file.
A failed conversion keeps the PCM WAV as the recording (the agent gets a notice).
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pjsua2 as pj

from communicator.core.call_record import CallRecord
from communicator.core.calls import CallId
from communicator.core.lines import Lines
from communicator.provisioning.schema import RecordFormat, VoipProfile
from communicator.sip.recording import (
    TranscodeError,
    intermediate_path,
    needs_transcoding,
    transcode,
    wav_complete,
)

log = logging.getLogger(__name__)

RECORDING_CLOSE_TIMEOUT = 3.0
"""Longest wait for a destroyed recorder's WAV header before its call record goes out."""
TRANSCODE_POLL = 0.05
"""Seconds between checks for finished recording conversions (only while one runs)."""
TRANSCODE_CLOSE_TIMEOUT = 60.0
"""Longest wait, on shutdown, for one recording conversion still running."""


@dataclasses.dataclass(frozen=True)
class _Closing:
    record: CallRecord
    deadline: float
    fmt: RecordFormat


@dataclasses.dataclass(frozen=True, eq=False)
class _Converting:
    record: CallRecord
    fmt: RecordFormat
    future: Future[Path]


class CallRecorders:
    """The recorders of the calls being recorded, and the records waiting for their files."""

    def __init__(
        self,
        *,
        publish: Callable[[CallRecord], None],
        notice: Callable[[str], None],
        failure: Callable[[str], None],
        monotonic: Callable[[], float],
    ) -> None:
        self._publish = publish
        self._notice = notice
        self._failure = failure
        self._mono = monotonic
        self._recorders: dict[CallId, Any] = {}
        """Each recorded call's AudioMediaRecorder (None: creating it failed)."""
        self._formats: dict[CallId, RecordFormat] = {}
        self._closing: list[_Closing] = []
        self._converting: list[_Converting] = []
        self._worker: ThreadPoolExecutor | None = None

    @property
    def recorders(self) -> Mapping[CallId, Any]:
        return self._recorders

    @property
    def active(self) -> bool:
        """A recorder exists or a file is being closed (the bridge clock must run)."""
        return bool(self._recorders or self._closing)

    @property
    def closing(self) -> bool:
        """A WAV header is due within a few media frames (poll soon)."""
        return bool(self._closing)

    @property
    def converting(self) -> bool:
        return bool(self._converting)

    def start(
        self,
        profile: VoipProfile | None,
        lines: Lines | None,
        known: Callable[[CallId], bool],
        directory: Callable[[], Path],
    ) -> None:
        """A recorder for every established call that has none (when the profile records)."""
        if profile is None or lines is None or not profile.recording.enabled:
            return
        for call_id, call in lines.calls.items():
            if call_id in self._recorders or not call.is_established or not known(call_id):
                continue
            fmt = profile.recording.format
            folder = directory()
            folder.mkdir(parents=True, exist_ok=True)
            stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(call.created_at))
            path = intermediate_path(folder / f"{stamp}-{call_id}", fmt)
            recorder = pj.AudioMediaRecorder()
            try:
                recorder.createRecorder(str(path))
            except pj.Error as error:
                self._failure(f"recording {path}: {error.info()}")
                self._recorders[call_id] = None
                continue
            self._recorders[call_id] = recorder
            self._formats[call_id] = fmt
            lines.attach_recording(call_id, str(path))

    def call_finished(self, record: CallRecord) -> bool:
        """The call ended: destroy its recorder. True when its record must wait for the file
        (it is published later); False when the caller publishes it now."""
        recorder = self._recorders.pop(record.call_id, None)
        fmt = self._formats.pop(record.call_id, RecordFormat.WAV)
        if recorder is None or not record.recording_path:
            return False
        # Destroyed now, its bridge port goes on the next clock tick, which writes the WAV
        # header; the record waits for the complete file.
        del recorder
        self._closing.append(_Closing(record, self._mono() + RECORDING_CLOSE_TIMEOUT, fmt))
        return True

    def flush(self, *, force: bool = False) -> None:
        """Publish the records whose WAV files are complete (or hand them to the worker
        thread for conversion to the profile's format first)."""
        if not self._closing:
            return
        now = self._mono()
        waiting: list[_Closing] = []
        for item in self._closing:
            path = Path(item.record.recording_path or "")
            complete = wav_complete(path)
            if complete and needs_transcoding(item.fmt):
                self._convert(item.record, path, item.fmt)
            elif complete or force or now >= item.deadline:
                if not complete:
                    self._failure(f"recording {path} was not closed in time")
                self._publish(item.record)
            else:
                waiting.append(item)
        self._closing = waiting

    def _convert(self, record: CallRecord, pcm: Path, fmt: RecordFormat) -> None:
        if self._worker is None:
            self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="recording")
        self._converting.append(_Converting(record, fmt, self._worker.submit(transcode, pcm, fmt)))

    def collect(self, *, wait: bool = False) -> None:
        """Publish the records whose recordings are converted (``wait``: all of them)."""
        if not self._converting:
            return
        running: list[_Converting] = []
        for item in self._converting:
            if not wait and not item.future.done():
                running.append(item)
                continue
            record, fmt = item.record, item.fmt
            path: Path | None
            try:
                path = item.future.result(timeout=TRANSCODE_CLOSE_TIMEOUT if wait else 0)
            except TranscodeError as error:
                path = error.kept
                log.error("recording %s: conversion to %s failed: %s", path, fmt.value, error)
                self._notice(
                    f"The recording of the call with {record.remote.label} could not be "
                    f"converted to {fmt.value} ({error}); it is kept as WAV (PCM)"
                )
            except Exception as error:  # a timeout on shutdown, or a bug
                path = None
                self._failure(f"recording conversion to {fmt.value}: {error!r}")
            final = (
                record if path is None else dataclasses.replace(record, recording_path=str(path))
            )
            self._publish(final)
        self._converting = running

    def all_closed(self) -> bool:
        return all(wav_complete(Path(c.record.recording_path or "")) for c in self._closing)

    def close(self, pump_until: Callable[[float, Callable[[], bool]], None]) -> None:
        """Shutdown: destroy every recorder, wait (bounded) for the files and conversions,
        publish every record still held."""
        self._recorders.clear()
        if self._closing:
            pump_until(RECORDING_CLOSE_TIMEOUT, self.all_closed)
            self.flush(force=True)
        self.collect(wait=True)

    def stop_worker(self) -> None:
        if self._worker is not None:
            self._worker.shutdown(wait=False)
            self._worker = None
