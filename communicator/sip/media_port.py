"""Destroying a pjsua2 `AudioMediaPort` while the conference bridge's clock runs.

pjproject 2.15's conference bridge removes ports asynchronously: ``pjsua_conf_remove_port``
only queues the removal, and the next clock tick applies it. A tick already under way still
calls the port's ``get_frame``/``put_frame``, and the tick that applies the removal reads the
port's ``grp_lock``. pjsua2's ``~AudioMediaPort`` queues the removal and frees the port at
once (its ``pjmedia_port`` is part of the C++ object), so both use freed memory. We saw this as
a SIGSEGV: pjmedia's clock thread was inside ``onFrameReceived`` of a port that the collector
had half cleared. (Upstream fixed it after 2.15, in pjproject PR #4200.)

`retire_media_port` does the removal itself and waits until a tick has applied it. It runs the
clock for that if nobody else needs it. Only then does it destroy the C++ object, explicitly
and at once, not whenever the last Python reference goes. That timing matters: the destructor
removes the port's (now empty) slot again, which pjsua refuses harmlessly. A destructor
running later could find the slot already reused by another port and remove that one.
"""

from __future__ import annotations

import ctypes
import functools
import logging
import time
from typing import Any

import pjsua2 as pj

from communicator.sip.c_library import pjsua2_c_library
from communicator.sip.endpoint import SipEndpoint

log = logging.getLogger(__name__)

RETIRE_TIMEOUT_S = 1.0
"""Ticks come every 20 ms; the rest covers a clock that is just starting and a machine stall."""

POLL_S = 0.002

CLOCK_OWNER = "retiring-media-port"

_kept: list[Any] = []
"""Ports whose removal could not be confirmed: freeing them could crash the clock thread."""


@functools.cache
def _c_functions() -> Any:
    lib = pjsua2_c_library()
    lib.pjsua_conf_remove_port.argtypes = [ctypes.c_int]
    lib.pjsua_enum_conf_ports.argtypes = [
        ctypes.POINTER(ctypes.c_int),
        ctypes.POINTER(ctypes.c_uint),
    ]
    return lib


def conference_slots(max_ports: int) -> frozenset[int]:
    """The conference bridge's occupied slots (a removal counts once a tick has applied it)."""
    capacity = max(1, max_ports)
    ids = (ctypes.c_int * capacity)()
    count = ctypes.c_uint(capacity)
    if _c_functions().pjsua_enum_conf_ports(ids, ctypes.byref(count)) != 0:
        raise RuntimeError("pjsua_enum_conf_ports failed")
    return frozenset(ids[: count.value])


def kept_ports() -> int:
    """How many ports were kept alive because their removal was never confirmed."""
    return len(_kept)


def retire_media_port(port: Any, *, timeout: float = RETIRE_TIMEOUT_S) -> bool:
    """Take `port` off the conference bridge and destroy it once no tick can reach it.

    Call it on the pumping (main) thread, after ``stopTransmit`` of its connections. The
    Python object must not be used afterwards: its C++ half is gone. Returns False when the
    removal could not be confirmed: the port is then kept alive for the process's life, which
    is a small leak rather than a crash. So is a port whose retirement raised.
    """
    endpoint = SipEndpoint.current()
    if endpoint is None or endpoint.destroyed:
        # libDestroy has removed every port already. Freeing the port's pool after it would use
        # a freed pool factory, so keep the port.
        _keep(port, "the endpoint is gone")
        return False
    try:
        endpoint.check_thread()
        max_ports = int(endpoint.ep.mediaMaxPorts())
        endpoint.set_clock_demand(CLOCK_OWNER, True)
    except BaseException:
        _keep(port, "taking it off the conference bridge failed")
        raise
    try:
        return free_after_removal(port, max_ports, timeout=timeout)
    finally:
        endpoint.set_clock_demand(CLOCK_OWNER, False)


def free_after_removal(port: Any, max_ports: int, *, timeout: float = RETIRE_TIMEOUT_S) -> bool:
    """Remove the port's slot, wait until a tick has applied that, then destroy the port.

    The conference clock must run: `retire_media_port` sees to that; the benchmark's far end,
    which has no `SipEndpoint`, calls this directly (its clock always runs).

    In 2.15.1 a tick applies queued removals under the conference mutex, and
    ``pjsua_enum_conf_ports`` takes the same mutex. So a slot that is no longer listed is
    fully removed, and the tick before the one that removed it has finished. Newer pjmedia
    releases the mutex earlier and keeps ports alive by reference instead: re-check this wait
    when upgrading.
    """
    try:
        port_id = int(port.getPortId())
        if port_id >= 0:  # below 0: createPort never succeeded, not on the bridge
            status = _c_functions().pjsua_conf_remove_port(port_id)
            deadline = time.monotonic() + timeout
            while port_id in conference_slots(max_ports):
                if time.monotonic() >= deadline:
                    _keep(port, f"removal of slot {port_id} (status {status}) not applied")
                    return False
                time.sleep(POLL_S)  # pjmedia offers no event for an applied removal
    except BaseException:
        _keep(port, "taking it off the conference bridge failed")
        raise
    pj._pjsua2.delete_AudioMediaPort(port)
    return True


def _keep(port: Any, why: str) -> None:
    log.warning("an audio port is kept alive (not freed): %s", why)
    _kept.append(port)
    # Python's exit must not free it either (after libDestroy that crashes).
    port.__disown__()


__all__ = ["conference_slots", "free_after_removal", "kept_ports", "retire_media_port"]
