"""Seeing the INVITEs pjsua refuses on its own because it has no call slot left.

The pjsua2 wheel is built with a small compiled call limit (``PJSUA_MAX_CALLS`` = 4;
`UaConfig.maxCalls` above it is cut back to it). An INVITE arriving while that many calls
exist is answered "486 Too many calls" by pjsua itself, before any ``onIncomingCall``: the
engine never hears of it, and an agent whose lines are all busy would have no record of the
caller. `StackFullGuard` is a pjsip module ahead of pjsua's (pjsua2 has no hook for this, so
it is registered through ctypes): for a new INVITE while pjsua is full it only records an
`IncomingRefusedByStack` for the engine, which logs the call like any busy-refused one;
pjsua still sends the 486. It never answers or changes a message itself.

Reading the INVITE: pjsip hands the module a ``pjsip_rx_data``. Its ``msg_info`` block
(``msg_buf, len, msg, info``) follows a packet buffer whose size is a build option, so its
place is found once per process: ``pjsip_rx_data_get_info`` returns the pointer kept in
``msg_info.info``, which is looked for in the structure, and the text it leads to is checked.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
from collections import deque
from collections.abc import Callable

from communicator.core.call_group import GROUP_HEADER
from communicator.sip.c_library import pjsua2_c_library
from communicator.sip.events import IncomingRefusedByStack, StackRecord
from communicator.sip.sipmsg import header_values, split_name_addr, top_via_address

log = logging.getLogger(__name__)

PRIORITY = 63
"""Just ahead of pjsua's own module (PJSIP_MOD_PRIORITY_APPLICATION, 64)."""
RECENT_CALL_IDS = 64
"""Call-IDs remembered so an INVITE's retransmissions are recorded once."""
_SCAN_LIMIT = 1 << 17
"""Bytes of a pjsip_rx_data searched for its msg_info block (it is found well before)."""

_ON_RX = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p)


class _PjStr(ctypes.Structure):
    _fields_ = [("ptr", ctypes.c_char_p), ("slen", ctypes.c_ssize_t)]


class _PjsipModule(ctypes.Structure):
    """pjsip_module (pjsip/sip_module.h)."""

    _fields_ = [
        ("prev", ctypes.c_void_p),
        ("next", ctypes.c_void_p),
        ("name", _PjStr),
        ("id", ctypes.c_int),
        ("priority", ctypes.c_int),
        ("load", ctypes.c_void_p),
        ("start", ctypes.c_void_p),
        ("stop", ctypes.c_void_p),
        ("unload", ctypes.c_void_p),
        ("on_rx_request", _ON_RX),
        ("on_rx_response", ctypes.c_void_p),
        ("on_tx_request", ctypes.c_void_p),
        ("on_tx_response", ctypes.c_void_p),
        ("on_tsx_state", ctypes.c_void_p),
    ]


class _MessageText:
    """Where ``msg_info.msg_buf`` and ``msg_info.len`` sit in a pjsip_rx_data (per process)."""

    offset: int | None = None

    @classmethod
    def read(cls, lib: ctypes.CDLL, rdata: int) -> str | None:
        info = lib.pjsip_rx_data_get_info(ctypes.c_void_p(rdata))
        if not info:
            return None
        if cls.offset is None:
            cls.offset = _find_info_slot(rdata, info)
            if cls.offset is None:
                return None
        base = rdata + cls.offset - 3 * ctypes.sizeof(ctypes.c_void_p)
        buf = ctypes.c_void_p.from_address(base).value
        length = ctypes.c_int.from_address(base + ctypes.sizeof(ctypes.c_void_p)).value
        if not buf or not 0 < length < _SCAN_LIMIT:
            return None
        return ctypes.string_at(buf, length).decode("utf-8", "replace")


def _find_info_slot(rdata: int, info: int) -> int | None:
    step = ctypes.sizeof(ctypes.c_void_p)
    for offset in range(0, _SCAN_LIMIT, step):
        if ctypes.c_void_p.from_address(rdata + offset).value == info:
            return offset
    return None


class StackFullGuard:
    """Records the new INVITEs to ``user`` that pjsua refuses for want of a call slot."""

    def __init__(self, records: list[StackRecord], user: Callable[[], str | None]) -> None:
        self._records = records
        self._user = user
        self._lib = pjsua2_c_library()
        self._recent: deque[str] = deque(maxlen=RECENT_CALL_IDS)
        self._name = ctypes.create_string_buffer(f"mod-communicator-full-{id(self):x}".encode())
        self._callback = _ON_RX(self._on_rx_request)
        self._module = _PjsipModule()
        self._module.name = _PjStr(ctypes.cast(self._name, ctypes.c_char_p), len(self._name.value))
        self._module.id = -1
        self._module.priority = PRIORITY
        self._module.on_rx_request = self._callback
        self._registered = False
        self._endpt: int | None = None
        self._warned_for: int | None = None
        self._declare()

    def _declare(self) -> None:
        lib = self._lib
        lib.pjsua_get_pjsip_endpt.restype = ctypes.c_void_p
        lib.pjsip_endpt_register_module.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
        lib.pjsip_endpt_unregister_module.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
        lib.pjsip_rx_data_get_info.argtypes = [ctypes.c_void_p]
        lib.pjsip_rx_data_get_info.restype = ctypes.c_void_p
        lib.pjsua_call_get_count.restype = ctypes.c_uint
        lib.pjsua_call_get_max_count.restype = ctypes.c_uint

    def capacity(self) -> int | None:
        """How many calls pjsua holds at once (its compiled limit), None if unknown."""
        with contextlib.suppress(OSError, AttributeError):
            return int(self._lib.pjsua_call_get_max_count())
        return None

    def lines_for(self, max_lines: int) -> int:
        """The lines this process can offer for a profile's Max Phone Lines: no more than
        the calls pjsua holds at once. Showing the agent lines that could never ring would
        be a lie; the admin learns of the cut from the log (and the console's hint)."""
        limit = self.capacity()
        if limit is None or limit < 1 or max_lines <= limit:
            return max_lines
        if max_lines != self._warned_for:
            self._warned_for = max_lines
            log.warning(
                "Max Phone Lines is %d but the SIP stack holds %d calls at once: %d lines offered",
                max_lines,
                limit,
                limit,
            )
        return limit

    def install(self) -> bool:
        """Register the module with pjsip; False (and a log line) when it cannot be."""
        try:
            self._endpt = self._lib.pjsua_get_pjsip_endpt()
            status = self._lib.pjsip_endpt_register_module(
                ctypes.c_void_p(self._endpt), ctypes.byref(self._module)
            )
        except (OSError, AttributeError) as error:
            log.warning("cannot watch for calls pjsua refuses: %s", error)
            return False
        self._registered = status == 0
        if not self._registered:
            log.warning("cannot watch for calls pjsua refuses: pjsip status %d", status)
        return self._registered

    def remove(self) -> None:
        """Unregister (before the endpoint is destroyed; the module's memory is ours)."""
        if self._registered and self._endpt is not None:
            with contextlib.suppress(OSError, AttributeError):
                self._lib.pjsip_endpt_unregister_module(
                    ctypes.c_void_p(self._endpt), ctypes.byref(self._module)
                )
        self._registered = False

    def _on_rx_request(self, rdata: int | None) -> int:
        try:
            if rdata and self._lib.pjsua_call_get_count() >= self._lib.pjsua_call_get_max_count():
                self._check(rdata)
        except BaseException as error:  # a callback must not raise into pjsip
            log.error("stack-full guard: %r", error)
        return 0  # never handled here: pjsua answers as it always does

    def _check(self, rdata: int) -> None:
        message = _MessageText.read(self._lib, rdata)
        if message is None or not message.startswith("INVITE "):
            return
        to = header_values(message, "To", "t")
        if not to or ";tag=" in to[0].replace(" ", "").lower():
            return  # a re-INVITE in a dialog: not a new call
        user = self._user()
        _, to_uri = split_name_addr(to[0])
        if user and not to_uri.removeprefix("sip:").removeprefix("sips:").startswith(f"{user}@"):
            return
        call_ids = header_values(message, "Call-ID", "i")
        call_id = call_ids[0].strip() if call_ids else ""
        if call_id in self._recent:
            return  # a retransmission
        self._recent.append(call_id)
        froms = header_values(message, "From", "f")
        display, uri = split_name_addr(froms[0]) if froms else ("", "")
        via = top_via_address(message)
        source = f"{via.host}:{via.port}" if via is not None else ""
        groups = tuple(header_values(message, GROUP_HEADER))
        self._records.append(IncomingRefusedByStack(uri, display, source, groups))
