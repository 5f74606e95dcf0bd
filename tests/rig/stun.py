"""A STUN server on loopback, and a minimal RFC 5389 Binding client to probe it.

:class:`StunServer` runs ``stund`` (package ``stun-server``; it needs two addresses, and
127.0.0.2 works on Linux loopback) or, failing that, coturn's ``turnserver --stun-only``.
Both answer plain RFC 5389 Binding requests, which :func:`stun_binding` sends and parses.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import struct
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from tests.rig.ports import LOOPBACK, free_ports, release_ports
from tests.rig.process import ManagedProcess

MAGIC_COOKIE = 0x2112A442
BINDING_REQUEST = 0x0001
BINDING_SUCCESS = 0x0101
BINDING_ERROR = 0x0111

ATTR_MAPPED_ADDRESS = 0x0001
ATTR_SOURCE_ADDRESS = 0x0004  # RFC 3489
ATTR_CHANGED_ADDRESS = 0x0005  # RFC 3489
ATTR_ERROR_CODE = 0x0009
ATTR_XOR_MAPPED_ADDRESS = 0x0020
ATTR_XOR_MAPPED_ADDRESS_OLD = 0x8020  # pre-RFC 5389 drafts, still sent by some servers
ATTR_SOFTWARE = 0x8022
ATTR_OTHER_ADDRESS = 0x802C

ALTERNATE_LOOPBACK = "127.0.0.2"


class StunError(RuntimeError):
    """A STUN exchange failed or a message could not be parsed."""


Address = tuple[str, int]


@dataclass(frozen=True)
class StunResponse:
    """What a Binding success response said."""

    mapped_address: Address | None
    xor_mapped_address: Address | None
    other_address: Address | None
    software: str | None
    attributes: tuple[int, ...]

    @property
    def reflexive_address(self) -> Address | None:
        """The server-reflexive address, preferring XOR-MAPPED-ADDRESS as RFC 5389 says."""
        return self.xor_mapped_address or self.mapped_address


def build_binding_request(transaction_id: bytes | None = None) -> tuple[bytes, bytes]:
    """A Binding request without attributes, and its 96-bit transaction id."""
    tid = transaction_id if transaction_id is not None else os.urandom(12)
    if len(tid) != 12:
        raise ValueError("an RFC 5389 transaction id has 12 bytes")
    return struct.pack("!HHI", BINDING_REQUEST, 0, MAGIC_COOKIE) + tid, tid


def _parse_address(value: bytes, *, xor: bool, transaction_id: bytes) -> Address:
    if len(value) < 8:
        raise StunError(f"address attribute too short ({len(value)} bytes)")
    family = value[1]
    (port,) = struct.unpack("!H", value[2:4])
    if xor:
        port ^= MAGIC_COOKIE >> 16
    if family == 0x01:
        raw = value[4:8]
        if xor:
            raw = bytes(a ^ b for a, b in zip(raw, struct.pack("!I", MAGIC_COOKIE), strict=True))
        return socket.inet_ntop(socket.AF_INET, raw), port
    if family == 0x02:
        if len(value) < 20:
            raise StunError("IPv6 address attribute too short")
        raw = value[4:20]
        if xor:
            key = struct.pack("!I", MAGIC_COOKIE) + transaction_id
            raw = bytes(a ^ b for a, b in zip(raw, key, strict=True))
        return socket.inet_ntop(socket.AF_INET6, raw), port
    raise StunError(f"unknown address family {family:#x}")


def parse_binding_response(data: bytes, transaction_id: bytes) -> StunResponse:
    """Parse a Binding response to the request with ``transaction_id``.

    Raises :class:`StunError` for anything that is not a success response to that request.
    """
    if len(data) < 20:
        raise StunError(f"STUN message too short ({len(data)} bytes)")
    msg_type, length, cookie = struct.unpack("!HHI", data[:8])
    if msg_type & 0xC000:
        raise StunError(f"not a STUN message (first bits of type {msg_type:#06x} set)")
    if data[8:20] != transaction_id:
        raise StunError("transaction id does not match the request")
    if cookie != MAGIC_COOKIE:
        raise StunError(f"wrong magic cookie {cookie:#010x}")
    if 20 + length > len(data):
        raise StunError(f"truncated STUN message (header says {length} bytes of attributes)")
    attrs: dict[int, bytes] = {}
    order: list[int] = []
    pos = 20
    end = 20 + length
    while pos + 4 <= end:
        atype, alen = struct.unpack("!HH", data[pos : pos + 4])
        value = data[pos + 4 : pos + 4 + alen]
        if len(value) != alen:
            raise StunError(f"attribute {atype:#06x} runs past the end of the message")
        attrs.setdefault(atype, value)
        order.append(atype)
        pos += 4 + alen + (-alen % 4)  # attributes are padded to 32 bits
    if msg_type == BINDING_ERROR:
        err = attrs.get(ATTR_ERROR_CODE, b"")
        code = err[2] * 100 + err[3] if len(err) >= 4 else 0
        reason = err[4:].decode(errors="replace")
        raise StunError(f"Binding error response {code} {reason}".rstrip())
    if msg_type != BINDING_SUCCESS:
        raise StunError(f"unexpected STUN message type {msg_type:#06x}")

    def addr(kind: int, *, xor: bool = False) -> Address | None:
        value = attrs.get(kind)
        return _parse_address(value, xor=xor, transaction_id=transaction_id) if value else None

    xor_mapped = addr(ATTR_XOR_MAPPED_ADDRESS, xor=True) or addr(
        ATTR_XOR_MAPPED_ADDRESS_OLD, xor=True
    )
    software = attrs.get(ATTR_SOFTWARE)
    return StunResponse(
        mapped_address=addr(ATTR_MAPPED_ADDRESS),
        xor_mapped_address=xor_mapped,
        other_address=addr(ATTR_OTHER_ADDRESS) or addr(ATTR_CHANGED_ADDRESS),
        software=software.rstrip(b"\0").decode(errors="replace") if software else None,
        attributes=tuple(order),
    )


def stun_binding(
    host: str,
    port: int,
    *,
    timeout: float = 1.0,
    retransmit: float = 0.1,
    source: Address = (LOOPBACK, 0),
) -> StunResponse:
    """Send a Binding request over UDP (retransmitting) and return the parsed success response."""
    request, tid = build_binding_request()
    deadline = time.monotonic() + timeout
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(source)
        last_error: Exception | None = None
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                detail = f": {last_error}" if last_error else ""
                raise StunError(f"no STUN Binding response from {host}:{port}{detail}")
            sock.sendto(request, (host, port))
            sock.settimeout(min(retransmit, remaining))
            try:
                while True:
                    data, _ = sock.recvfrom(2048)
                    try:
                        return parse_binding_response(data, tid)
                    except StunError as exc:
                        if "transaction id" not in str(exc):
                            raise
                        last_error = exc  # a stray answer to an earlier request: keep reading
            except TimeoutError:
                continue
            except ConnectionRefusedError as exc:  # ICMP port unreachable from an earlier send
                last_error = exc
                time.sleep(min(retransmit, max(0.0, deadline - time.monotonic())))


def _address_usable(host: str) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            sock.bind((host, 0))
        except OSError:
            return False
    return True


class StunServer:
    """A STUN server on 127.0.0.1 (and 127.0.0.2 for stund's alternate address).

    ``implementation`` is "stund", "coturn" or None (stund if it can run, else coturn).
    Use as a context manager, or call :meth:`start` / :meth:`stop`.
    """

    def __init__(
        self,
        run_dir: Path | None = None,
        *,
        implementation: str | None = None,
        start_timeout: float = 10.0,
    ) -> None:
        self._own_dir = run_dir is None
        self.run_dir = Path(run_dir) if run_dir else Path(tempfile.mkdtemp(prefix="rig-stun-"))
        self.host = LOOPBACK
        self.implementation = implementation or self.available_implementation()
        if self.implementation is None:
            raise FileNotFoundError("neither stund (stun-server) nor turnserver (coturn) found")
        if self.implementation == "stund":
            self.alt_host: str | None = ALTERNATE_LOOPBACK
            self.port, self.alt_port = free_ports(
                2, udp=True, tcp=False, hosts=(LOOPBACK, ALTERNATE_LOOPBACK)
            )
            argv = [
                str(shutil.which("stund")),
                "-v",
                "-h",
                self.host,
                "-a",
                ALTERNATE_LOOPBACK,
                "-p",
                str(self.port),
                "-o",
                str(self.alt_port),
            ]
        elif self.implementation == "coturn":
            self.alt_host = None
            self.port, self.alt_port = free_ports(2, udp=True, tcp=True)
            argv = [
                str(shutil.which("turnserver")),
                "-n",
                "--stun-only",
                f"--listening-ip={self.host}",
                f"--listening-port={self.port}",
                f"--alt-listening-port={self.alt_port}",
                "--no-tls",
                "--no-dtls",
                "--no-cli",
                "--verbose",
                "--log-file=stdout",
                "--simple-log",
                f"--pidfile={self.run_dir / 'turnserver.pid'}",
            ]
        else:
            raise ValueError(f"unknown STUN implementation {self.implementation!r}")
        self.process = ManagedProcess(
            f"stun-{self.implementation}",
            argv,
            log_dir=self.run_dir,
            ready=self._answers,
            start_timeout=start_timeout,
            cwd=self.run_dir,
        )

    @staticmethod
    def available_implementation() -> str | None:
        if shutil.which("stund") and _address_usable(ALTERNATE_LOOPBACK):
            return "stund"
        if shutil.which("turnserver"):
            return "coturn"
        return None

    @property
    def address(self) -> str:
        """``host:port`` as pjsua2's ``uaConfig.stunServer`` wants it."""
        return f"{self.host}:{self.port}"

    def _answers(self) -> bool:
        try:
            stun_binding(self.host, self.port, timeout=0.3)
        except (StunError, OSError):
            return False
        return True

    def binding(self, timeout: float = 1.0) -> StunResponse:
        return stun_binding(self.host, self.port, timeout=timeout)

    def requests_from(self, port: int) -> int:
        """How many Binding requests the server logged from 127.0.0.1:``port`` (stund only)."""
        if self.implementation != "stund":
            raise NotImplementedError("request logging is only parsed for stund")
        pattern = re.compile(rf"Got a request \(len=\d+\) from 127\.0\.0\.1:{port}\b")
        return len(pattern.findall(self.process.log_text()))

    def start(self) -> StunServer:
        self.process.start()
        return self

    def stop(self) -> None:
        self.process.stop()

    def close(self) -> None:
        self.stop()
        release_ports((self.port, self.alt_port))
        if self._own_dir:
            shutil.rmtree(self.run_dir, ignore_errors=True)

    def __enter__(self) -> StunServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
