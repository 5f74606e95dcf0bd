"""The interop case as it was seen: the far end accepts a blind transfer and reports its end
in a NOTIFY pjsip cannot parse (``Subscription-State: terminated;reason=reason=noresource``).

The far end here is a few lines of SIP on a UDP socket (no SIP stack could send that header),
standing in for a PBX that a static-IP account talks to directly: it answers the INVITE,
accepts the REFER with 202, sends a valid "100 Trying" NOTIFY and then the broken final one.
The engine's transfer time limit must give the call back to the agent.
"""

from __future__ import annotations

import itertools
import socket
import threading
import uuid
from typing import Any

import pytest

from communicator.core.calls import CallState, TransferState
from communicator.provisioning.schema import parse_profile
from communicator.sip.events import NoticePosted
from communicator.sip.sipmsg import header_values

pytestmark = [pytest.mark.rig, pytest.mark.timeout(60)]

TRANSFER_LIMIT_S = 2.0
BROKEN_STATE = "terminated;reason=reason=noresource"


class BrokenNotifyPbx:
    """A far end on 127.0.0.1 that speaks just enough SIP for one call and one transfer."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = int(self.sock.getsockname()[1])
        self.uri = f"sip:pbx@127.0.0.1:{self.port}"
        self.tag = uuid.uuid4().hex[:8]
        self.cseq = itertools.count(1)
        self.requests: list[str] = []
        """Request methods received, in order."""
        self.notify_answers: list[int] = []
        """The engine's answers to our NOTIFYs."""
        self._dialog: dict[str, str] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="broken-notify-pbx", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.sock.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                data, peer = self.sock.recvfrom(65535)
            except TimeoutError:
                continue
            except OSError:
                return
            self._handle(data.decode("utf-8", "replace"), peer)

    def _handle(self, message: str, peer: tuple[str, int]) -> None:
        first = message.split("\r\n", 1)[0]
        if first.startswith("SIP/2.0 "):
            if "NOTIFY" in _header(message, "CSeq"):
                self.notify_answers.append(int(first.split()[1]))
            return
        method = first.split()[0]
        self.requests.append(method)
        if method == "INVITE":
            self._dialog = {
                "call_id": _header(message, "Call-ID"),
                "remote": _header(message, "From"),
                "contact": _header(message, "Contact").strip().strip("<>").split(">")[0],
            }
            self._answer(message, peer, 200, "OK", sdp=True)
        elif method == "REFER":
            self._answer(message, peer, 202, "Accepted")
            self._notify(peer, "active;expires=60", "SIP/2.0 100 Trying")
            self._notify(peer, BROKEN_STATE, "SIP/2.0 200 OK")
        elif method != "ACK":
            self._answer(message, peer, 200, "OK")

    def _answer(
        self, request: str, peer: tuple[str, int], code: int, reason: str, *, sdp: bool = False
    ) -> None:
        to = _header(request, "To")
        if ";tag=" not in to:
            to += f";tag={self.tag}"
        body = _sdp(self.port + 2) if sdp else ""
        lines = [f"SIP/2.0 {code} {reason}"]
        lines += [f"Via: {via}" for via in header_values(request, "Via", "v")]
        lines += [
            f"From: {_header(request, 'From')}",
            f"To: {to}",
            f"Call-ID: {_header(request, 'Call-ID')}",
            f"CSeq: {_header(request, 'CSeq')}",
            f"Contact: <{self.uri}>",
        ]
        self._send(lines, body, "application/sdp" if sdp else None, peer)

    def _notify(self, peer: tuple[str, int], state: str, fragment: str) -> None:
        dialog = self._dialog
        lines = [
            f"NOTIFY {dialog['contact']} SIP/2.0",
            f"Via: SIP/2.0/UDP 127.0.0.1:{self.port};branch=z9hG4bK{uuid.uuid4().hex};rport",
            "Max-Forwards: 70",
            f"From: <{self.uri}>;tag={self.tag}",
            f"To: {dialog['remote']}",
            f"Call-ID: {dialog['call_id']}",
            f"CSeq: {next(self.cseq)} NOTIFY",
            f"Contact: <{self.uri}>",
            "Event: refer",
            f"Subscription-State: {state}",
        ]
        self._send(lines, fragment + "\r\n", "message/sipfrag;version=2.0", peer)

    def _send(
        self, lines: list[str], body: str, content_type: str | None, peer: tuple[str, int]
    ) -> None:
        if content_type:
            lines.append(f"Content-Type: {content_type}")
        lines.append(f"Content-Length: {len(body.encode())}")
        self.sock.sendto(("\r\n".join(lines) + "\r\n\r\n" + body).encode(), peer)


def _header(message: str, name: str) -> str:
    values = header_values(message, name)
    return values[0].strip() if values else ""


def _sdp(rtp_port: int) -> str:
    return (
        "v=0\r\no=pbx 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
        f"m=audio {rtp_port} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n"
    )


@pytest.fixture
def pbx() -> Any:
    far = BrokenNotifyPbx()
    try:
        yield far
    finally:
        far.close()


def test_a_transfer_whose_final_notify_cannot_be_parsed_ends_and_the_agent_keeps_the_call(
    engine_factory: Any, pbx: BrokenNotifyPbx, qtbot: Any
) -> None:
    engine = engine_factory(transfer_timeout=TRANSFER_LIMIT_S)
    notices: list[str] = []
    engine.subscribe(lambda e: notices.append(e.text) if isinstance(e, NoticePosted) else None)
    engine.apply_profile(
        parse_profile(
            {
                "agent": {"login": "agent1006", "extension": "1006", "max_lines": 2},
                "sip": {"server": "127.0.0.1", "port": pbx.port, "transports": ["udp"]},
                "equipment": {
                    "type": "static_ip",
                    "workstation_ip": "127.0.0.1",
                    "protocol": "udp",
                },
                "media": {"codecs": ["PCMU"]},
                "nat": {"keepalive_seconds": 0},
            }
        )
    )
    engine.sign_in()
    call = engine.place_call("2000")
    qtbot.waitUntil(lambda: engine.call(call).state is CallState.CONNECTED, timeout=5000)

    engine.blind_transfer(call, "3000")
    # The valid "100 Trying" NOTIFY is answered; pjsip drops the broken final one unanswered
    # ("syntax error exception when parsing 'Subscription-State'").
    qtbot.waitUntil(lambda: pbx.notify_answers == [200], timeout=5000)
    assert engine.call(call).transfer is TransferState.BLIND_PENDING

    qtbot.waitUntil(
        lambda: engine.call(call).transfer is TransferState.NONE,
        timeout=int(TRANSFER_LIMIT_S * 1000) + 5000,
    )
    assert engine.call(call).state is CallState.CONNECTED
    assert any("ransfer" in text for text in notices), notices
    engine.hangup(call)
    qtbot.waitUntil(lambda: "BYE" in pbx.requests, timeout=5000)
