"""Helpers for the SIP engine tests: profiles for the rig, waiting on peers while pumping."""

from __future__ import annotations

import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

from communicator.core.calls import CallId, CallState
from communicator.provisioning.schema import VoipProfile, parse_profile
from tests.rig.kamailio import KamailioServer
from tests.rig.peer_client import Event, PeerError, PeerProcess
from tests.rig.udp_relay import UdpRelay, relayed_call

TEST_CODECS = ["PCMU", "PCMA"]


def make_profile(
    server: KamailioServer,
    user: str,
    transport: str = "udp",
    *,
    sections: dict[str, dict[str, Any]] | None = None,
) -> VoipProfile:
    """A profile for ``user`` on the rig's Kamailio, reached through the server address."""
    account = server.account(user)
    doc: dict[str, Any] = {
        "agent": {"login": f"agent{user}", "extension": user, "max_lines": 2},
        "sip": {
            "username": user,
            "password": account.password,
            "server": server.host,
            "port": server.port(transport),
            "domain": server.domain,
            "transports": [transport],
        },
        "registration": {"expiry_seconds": 60, "refresh_seconds": 30},
        "media": {"codecs": TEST_CODECS},
        "nat": {"keepalive_seconds": 0},
    }
    for name, fields in (sections or {}).items():
        doc.setdefault(name, {}).update(fields)
    return parse_profile(doc)


def wait_peer(
    qtbot: Any,
    peer: PeerProcess,
    event_type: str,
    predicate: Callable[[Event], bool] | None = None,
    *,
    since: int = 0,
    timeout: float = 5.0,
) -> Event:
    """Await a peer event while the Qt loop (and so our engine) keeps running."""
    found: list[Event] = []

    def check() -> bool:
        for event in peer.events(event_type, predicate):
            if event["_i"] >= since:
                found.append(event)
                return True
        if not peer.alive:
            raise PeerError(f"peer {peer.name} exited")
        return False

    try:
        qtbot.waitUntil(check, timeout=int(timeout * 1000))
    except AssertionError as error:
        raise AssertionError(
            f"peer {peer.name}: no {event_type!r} within {timeout} s\n{peer.describe()}"
        ) from error
    return found[0]


def peer_call_id(qtbot: Any, peer: PeerProcess, *, since: int = 0, timeout: float = 5.0) -> int:
    return int(wait_peer(qtbot, peer, "incoming_call", since=since, timeout=timeout)["call_id"])


def placed_through_relay(
    qtbot: Any, engine: Any, far: PeerProcess, relay: UdpRelay, number: str
) -> tuple[CallId, int]:
    """A call ``engine`` placed to ``number`` at ``far`` (which answers by itself), connected,
    its media through ``relay`` both ways (`tests.rig.udp_relay.relayed_call`): the engine's
    call id and the far end's."""

    def start() -> tuple[CallId, int]:
        since = far.mark()
        call_id = engine.place_call(number)
        qtbot.waitUntil(lambda: engine.call(call_id).state is CallState.CONNECTED, timeout=5000)
        far_call = peer_call_id(qtbot, far, since=since)
        wait_peer(qtbot, far, "media_state", lambda e: e["call_id"] == far_call, since=since)
        return call_id, far_call

    def end(ids: tuple[CallId, int]) -> None:
        since = far.mark()
        engine.hangup(ids[0])
        wait_peer(qtbot, far, "call_state", lambda e: e["state"] == "DISCONNECTED", since=since)

    return relayed_call(relay, start, end, qtbot.waitUntil)


def wav_complete(path: Path) -> bool:
    """Whether pjmedia has written the final RIFF/data sizes of a WAV."""
    try:
        data = path.read_bytes()[:64]
        size = path.stat().st_size
    except OSError:
        return False
    if len(data) < 44 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        return False
    (riff,) = struct.unpack("<I", data[4:8])
    return riff == size - 8 and size > 44


class CallbackCounts:
    """How often pjmedia called a `counting_port`."""

    def __init__(self) -> None:
        self.requested = 0
        self.received = 0


def counting_port(pj: Any, name: str) -> tuple[Any, CallbackCounts]:
    """A port that counts its callbacks in an object the test keeps (not on the port)."""
    counts = CallbackCounts()

    class CountingPort(pj.AudioMediaPort):
        def __init__(self) -> None:
            pj.AudioMediaPort.__init__(self)
            self.counts = counts
            self.silence = pj.ByteVector()
            self.silence.resize(640)

        def onFrameRequested(self, frame: Any) -> None:
            self.counts.requested += 1
            frame.buf = self.silence
            frame.size = 640
            frame.type = pj.PJMEDIA_FRAME_TYPE_AUDIO

        def onFrameReceived(self, frame: Any) -> None:
            self.counts.received += 1

    fmt = pj.MediaFormatAudio()
    fmt.init(pj.PJMEDIA_FORMAT_PCM, 16000, 1, 20000, 16)
    port = CountingPort()
    port.createPort(name, fmt)
    return port, counts


def recorded_seconds(path: Path) -> float:
    """Seconds of audio a WAV being recorded holds so far (from its byte rate and size)."""
    try:
        with path.open("rb") as handle:
            head = handle.read(44)
        size = path.stat().st_size
    except OSError:
        return 0.0
    if len(head) < 44 or head[:4] != b"RIFF":
        return 0.0
    (byte_rate,) = struct.unpack("<I", head[28:32])
    return (size - 44) / byte_rate if byte_rate else 0.0


def wait_recorded(qtbot: Any, engine: Any, call_id: Any, seconds: float) -> Path:
    """Await ``seconds`` of audio in the call's recording (the path the engine attached)."""
    qtbot.waitUntil(lambda: engine.call(call_id).recording_path is not None, timeout=5000)
    path = Path(engine.call(call_id).recording_path)
    qtbot.waitUntil(lambda: recorded_seconds(path) >= seconds, timeout=int(seconds * 1000) + 5000)
    return path


def wait_none(qtbot: Any, condition: Callable[[], bool], *, within_ms: int) -> None:
    """Assert that ``condition`` does not become true while the loop runs for ``within_ms``
    (for "nothing more happens" checks; never to let something happen)."""
    from pytestqt.exceptions import TimeoutError as WaitTimeout

    try:
        qtbot.waitUntil(condition, timeout=within_ms)
    except WaitTimeout:
        return
    raise AssertionError("it happened")
