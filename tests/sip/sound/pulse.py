"""A private PulseAudio server for real-audio tests and the audio benchmark.

Runs as the current user (root in CI) without systemd or D-Bus, on a private socket:
``pulseaudio --daemonize=no --system=false --exit-idle-time=-1 -n -F CONFIG``. The config
loads null sinks (``main_sink`` the default, ``speaker_sink``, ``ringer_sink``, ``mic_sink``),
a null source, and a loopback from the null source into each sink (keeps the null sinks from
idling at 2 s latency). The default "microphone" is ``mic_sink.monitor``, into which
``module-sine`` plays a known tone.

Not ``module-sine-source``: it renders at its maximum latency (2 s) whatever its clients ask
for, so a capture stream on it gets ~2 s of audio in one burst every 2 s - nothing like a
sound card (measured: PortAudio callbacks in 200-block bursts with ~2 s gaps). A bridge that
drops a capture backlog beyond its target then passes ~40 ms of every 2 s.

PortAudio (ALSA host API) sees PulseAudio through ALSA's pulse plugin: ``default``/``pulse``
use the default sink and source; an ALSA config (``ALSA_CONFIG_PATH`` = system config + ours)
adds one named PCM per sink/source (``comm_speaker``, ``comm_ringer``, ``comm_mic``,
``comm_spare`` for a sink a test loads and unloads), i.e. separate "devices".

`env` holds ``PULSE_SERVER`` and ``ALSA_CONFIG_PATH``; PortAudio reads them at initialisation
(sounddevice initialises at import: set them first or re-initialise). Stopped by PID.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import threading
import wave
from pathlib import Path

import numpy as np

from tests.rig.process import ManagedProcess

SYSTEM_ALSA_CONF = Path("/usr/share/alsa/alsa.conf")
PCMS = {
    "comm_speaker": "speaker_sink",
    "comm_ringer": "ringer_sink",
    "comm_mic": "mic_sink.monitor",
    "comm_spare": "spare_sink",
    "comm_click": "click_sink",
    "comm_click_mic": "click_sink.monitor",
}


def pulse_available() -> str | None:
    """None when the server can run here, else what is missing."""
    for binary in ("pulseaudio", "pactl", "parec"):
        if shutil.which(binary) is None:
            return f"{binary} is not installed (Debian: pulseaudio pulseaudio-utils)"
    if not SYSTEM_ALSA_CONF.exists():
        return "ALSA configuration missing (Debian: libasound2-data)"
    return None


class MonitorRecording:
    """``seconds`` of a sink's monitor captured by parec in a thread (16 kHz mono)."""

    def __init__(self, server: PulseServer, sink: str, seconds: float, path: Path) -> None:
        self.path = path
        self.rate = 16000
        self._want = int(seconds * self.rate) * 2
        self._proc = subprocess.Popen(
            [
                "parec",
                f"--server={server.socket}",
                f"--device={sink}.monitor",
                "--raw",
                "--format=s16le",
                f"--rate={self.rate}",
                "--channels=1",
                "--latency-msec=20",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self.done = threading.Event()
        self.started = threading.Event()
        """Set when the first audio arrived (the capture is running)."""
        self.error: str | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        data = bytearray()
        try:
            stdout = self._proc.stdout
            assert isinstance(stdout, io.BufferedReader)
            while len(data) < self._want:
                chunk = stdout.read1(min(65536, self._want - len(data)))
                if not chunk:
                    self.error = "parec ended early"
                    break
                data += chunk
                self.started.set()
            with wave.open(str(self.path), "wb") as wav:
                wav.setnchannels(1)
                wav.setsampwidth(2)
                wav.setframerate(self.rate)
                wav.writeframes(bytes(data))
        except Exception as error:
            self.error = repr(error)
        finally:
            self.close()
            self.done.set()

    def close(self) -> None:
        if self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(3)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()


class PulseServer:
    def __init__(self, directory: Path, *, sine_hz: float = 440.0) -> None:
        self.directory = directory
        self.sine_hz = sine_hz
        self.socket = directory / "native"
        self.cli_socket = directory / "cli"
        self.config = directory / "server.pa"
        self.asoundrc = directory / "asoundrc"
        self.log_path = directory / "pulseaudio.log"
        self._proc: ManagedProcess | None = None

    @property
    def env(self) -> dict[str, str]:
        return {
            "PULSE_SERVER": f"unix:{self.socket}",
            "ALSA_CONFIG_PATH": f"{SYSTEM_ALSA_CONF}:{self.asoundrc}",
        }

    def _write_config(self) -> None:
        s = self.socket
        lines = [
            f"load-module module-native-protocol-unix auth-anonymous=1 socket={s}",
            f"load-module module-cli-protocol-unix socket={self.cli_socket}",
            "load-module module-null-sink sink_name=main_sink rate=48000",
            "load-module module-null-sink sink_name=speaker_sink rate=48000",
            "load-module module-null-sink sink_name=ringer_sink rate=48000",
            "load-module module-null-sink sink_name=mic_sink rate=48000",
            f"load-module module-sine sink=mic_sink frequency={self.sine_hz:g}",
            "load-module module-null-source source_name=silence rate=48000",
        ]
        # Defaults before the loopbacks: streams that follow the default source are moved when
        # it changes (the loopbacks would then carry the sine into every sink).
        lines += ["set-default-sink main_sink", "set-default-source mic_sink.monitor"]
        lines += [
            f"load-module module-loopback source=silence sink={sink} latency_msec=10"
            for sink in ("main_sink", "speaker_sink", "ringer_sink", "mic_sink")
        ]
        self.config.write_text("\n".join(lines) + "\n")
        pcms = [
            f'pcm.{name} {{ type pulse; device "{target}"; '
            f'hint {{ show on; description "Test {target}" }} }}'
            for name, target in PCMS.items()
        ]
        self.asoundrc.write_text("\n".join(pcms) + "\n")

    def start(self, timeout: float = 10.0) -> PulseServer:
        self.directory.mkdir(parents=True, exist_ok=True)
        self._write_config()
        env = dict(os.environ)
        env.pop("PULSE_SERVER", None)
        env["HOME"] = str(self.directory)  # cookie and state files stay in the test directory
        env["XDG_RUNTIME_DIR"] = str(self.directory)
        env["XDG_CONFIG_HOME"] = str(self.directory / "config")
        # ManagedProcess: ready probe, log tail on failure, stop by process group, and the
        # daemon dies with the test process even when pytest is killed hard.
        self._proc = ManagedProcess(
            "pulseaudio",
            [
                "pulseaudio",
                "--daemonize=no",
                "--system=false",
                "--exit-idle-time=-1",
                "--use-pid-file=no",
                "--disable-shm=yes",
                "-n",
                "-F",
                str(self.config),
            ],
            log_dir=self.directory,
            env=env,
            ready=lambda: self.socket.exists() and self._pactl_ok("info"),
            start_timeout=timeout,
        ).start()
        return self

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def _pactl_ok(self, *args: str) -> bool:
        return (
            subprocess.run(
                ["pactl", f"--server={self.socket}", *args],
                check=False,
                capture_output=True,
                timeout=10,
            ).returncode
            == 0
        )

    def pactl(self, *args: str) -> str:
        done = subprocess.run(
            ["pactl", f"--server={self.socket}", *args],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
        return done.stdout.strip()

    def load_sink(self, name: str) -> list[int]:
        """A new null sink kept awake by a loopback; returns the module ids (unload order)."""
        sink = int(self.pactl("load-module", "module-null-sink", f"sink_name={name}", "rate=48000"))
        loop = int(
            self.pactl(
                "load-module",
                "module-loopback",
                "source=silence",
                f"sink={name}",
                "latency_msec=10",
            )
        )
        return [loop, sink]

    def unload(self, *module_ids: int) -> None:
        for module in module_ids:
            self.pactl("unload-module", str(module))

    def sinks(self) -> list[str]:
        return [line.split("\t")[1] for line in self.pactl("list", "short", "sinks").splitlines()]

    def sink_inputs(self) -> list[str]:
        """Each playing stream as "sink-input-id sink-id" lines."""
        return self.pactl("list", "short", "sink-inputs").splitlines()

    def cli(self, command: str) -> str:
        """One command on the CLI protocol socket (what ``pacmd`` does; pactl has no kill)."""
        import socket

        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(5)
            sock.connect(str(self.cli_socket))
            sock.sendall(command.encode() + b"\n")
            sock.shutdown(socket.SHUT_WR)  # ("exit" would stop the daemon)
            chunks = []
            while chunk := sock.recv(4096):
                chunks.append(chunk)
        return b"".join(chunks).decode(errors="replace")

    def kill_playback_of(self, pid: int) -> int:
        """Kill every playback stream of process ``pid`` (as a backend does whose device
        vanished; PulseAudio itself would move the streams to the default sink)."""
        import json

        killed = 0
        for item in json.loads(self.pactl("--format=json", "list", "sink-inputs")):
            if item.get("properties", {}).get("application.process.id") == str(pid):
                # It may be gone already (the plug-in re-creates its stream after an xrun).
                killed += "No sink input" not in self.cli(f"kill-sink-input {item['index']}")
        return killed

    def record_monitor(self, sink: str, seconds: float, path: Path) -> MonitorRecording:
        return MonitorRecording(self, sink, seconds, path)

    def close(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            proc.stop()

    def __enter__(self) -> PulseServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()


def samples_of(path: Path) -> np.ndarray:
    with wave.open(str(path), "rb") as wav:
        return np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").astype(np.float64)
