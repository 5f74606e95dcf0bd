"""pjmedia's clock thread keeps one Python thread state between port callbacks (`threadstate`),
and the state is deleted once the thread has ended."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from communicator.sip.audio.threadstate import SUPPORTED, ThreadStates

pytestmark = pytest.mark.skipif(not SUPPORTED, reason="Linux/CPython only")


def _port(pj: Any, keeper: ThreadStates | None, seen: list[int]) -> Any:
    local = threading.local()

    class Port(pj.AudioMediaPort):
        def onFrameRequested(self, frame: Any) -> None:
            if keeper is not None:
                keeper.keep_current()
            # threading.local lives in the thread state: it survives only if the state does.
            local.n = getattr(local, "n", 0) + 1
            seen.append(local.n)
            frame.type = pj.PJMEDIA_FRAME_TYPE_NONE

    port = Port()
    fmt = pj.MediaFormatAudio()
    fmt.init(pj.PJMEDIA_FORMAT_PCM, 16000, 1, 20000, 16)
    port.createPort("thread-state-test", fmt)
    return port


@pytest.mark.parametrize("keep", [False, True])
def test_clock_thread_state_survives_between_callbacks_and_is_swept(
    sip_endpoint: Any, qtbot: Any, keep: bool
) -> None:
    import pjsua2 as pj

    keeper = ThreadStates() if keep else None
    if keeper is not None:
        keeper.sweep()  # states of earlier tests' clock threads
    kept_before = keeper.kept if keeper is not None else 0
    seen: list[int] = []
    port = _port(pj, keeper, seen)
    speaker = pj.Endpoint.instance().audDevManager().getPlaybackDevMedia()
    sip_endpoint.set_clock_demand("thread-state-test", True)
    try:
        port.startTransmit(speaker)
        qtbot.waitUntil(lambda: len(seen) >= 20, timeout=5000)
        port.stopTransmit(speaker)
    finally:
        sip_endpoint.set_clock_demand("thread-state-test", False)  # the clock thread ends
    if keep:
        assert keeper is not None
        assert seen[:20] == list(range(1, 21))  # one state throughout
        assert keeper.kept == kept_before + 1
        qtbot.waitUntil(lambda: keeper.sweep() >= 0 and keeper.deleted >= 1, timeout=5000)
        assert keeper.kept == kept_before
    else:
        assert set(seen) == {1}  # a new state per callback (what the keeper avoids)
    del port
