"""The people at the other end of the demo's calls, each a pjsua2 peer of the test rig.

* **customer** (``202``, "Carol Customer"): answers every call (and says nothing);
* **echo extension** (``300``): answers, plays a short greeting, then sends the caller's own
  audio back, so the microphone, the speaker and the codec can be tried in one call;
* **demo caller** (``210``, "Demo Caller"): rings the agent every minute and hangs up if nobody
  answers within 25 s; answered, it greets and echoes like the echo extension.

The greeting is a chime made here (three rising tones), written once into the work directory.
"""

from __future__ import annotations

import array
import contextlib
import math
import wave
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.rig.kamailio import KamailioServer
    from tests.rig.peer_client import PeerProcess

GREETING_RATE = 16000
CHIME_HZ = (523.25, 659.25, 783.99)
"""C5, E5, G5: a short rising chime, then a pause before the echo starts."""


@dataclass(frozen=True)
class FarEndAccount:
    """One SIP account of the demo's far ends (created on the provisioning server)."""

    user: str
    password: str
    display_name: str


CUSTOMER = FarEndAccount("202", "demo-customer-sip", "Carol Customer")
ECHO = FarEndAccount("300", "demo-echo-sip", "Echo test")
CALLER = FarEndAccount("210", "demo-caller-sip", "Demo Caller")
ACCOUNTS = (CUSTOMER, ECHO, CALLER)


def write_greeting(path: Path, *, tone_s: float = 0.22, pause_s: float = 0.4) -> Path:
    """A 16-bit mono WAV: three rising tones with soft edges, then silence."""
    samples = array.array("h")
    fade = int(0.01 * GREETING_RATE)
    for freq in CHIME_HZ:
        count = int(tone_s * GREETING_RATE)
        for n in range(count):
            edge = min(1.0, n / fade, (count - n) / fade)
            value = 0.3 * edge * math.sin(2 * math.pi * freq * n / GREETING_RATE)
            samples.append(int(value * 32767))
    samples.extend([0] * int(pause_s * GREETING_RATE))
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(GREETING_RATE)
        out.writeframes(samples.tobytes())
    return path


@dataclass
class FarEnds:
    customer: PeerProcess
    echo: PeerProcess
    caller: PeerProcess

    def ring_agent_every(
        self,
        agent_uri: str,
        *,
        interval_s: float = 60.0,
        give_up_s: float = 25.0,
        first_in_s: float = 5.0,
    ) -> None:
        self.caller.command(
            "ring_every",
            uri=agent_uri,
            interval_s=interval_s,
            give_up_s=give_up_s,
            first_in_s=first_in_s,
        )


def _register(peer: PeerProcess, kamailio: KamailioServer, account: FarEndAccount) -> None:
    peer.register_and_wait(
        user=account.user,
        password=account.password,
        domain=kamailio.domain,
        proxy=kamailio.proxy_uri("udp"),
        transport="udp",
        display_name=account.display_name,
        codecs=["PCMU"],
        timeout=10,
    )


@contextlib.contextmanager
def far_ends(
    kamailio: KamailioServer, work: Path, *, echo_hangup_s: float = 300
) -> Iterator[FarEnds]:
    """Starts and registers the three far ends; each one quits (hangs up, unregisters) on exit."""
    from tests.rig.peer_client import PeerProcess

    greeting = str(write_greeting(work / "greeting.wav"))
    logs = work / "peers"
    with contextlib.ExitStack() as stack:
        customer = stack.enter_context(PeerProcess("customer", log_dir=logs))
        echo = stack.enter_context(PeerProcess("echo", log_dir=logs))
        caller = stack.enter_context(PeerProcess("caller", log_dir=logs))
        for peer, account in ((customer, CUSTOMER), (echo, ECHO), (caller, CALLER)):
            _register(peer, kamailio, account)
        customer.command("auto_answer", enabled=True, code=200)
        echo.command("auto_answer", enabled=True, code=200)
        echo.command("echo", greeting=greeting, hangup_after_s=echo_hangup_s)
        caller.command("echo", greeting=greeting, hangup_after_s=echo_hangup_s)
        yield FarEnds(customer, echo, caller)
