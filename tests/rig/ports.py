"""Free port allocation on loopback for the SIP test rig.

Ports are found by binding to them, so a port returned here was free a moment ago; the
process-wide registry below makes sure the same process never hands one out twice (two
servers started in the same test must not race for one port).
"""

from __future__ import annotations

import random
import socket
import threading

LOOPBACK = "127.0.0.1"

_lock = threading.Lock()
_handed_out: set[int] = set()

# Stay below the Linux ephemeral range (32768-60999) so that the kernel does not hand one of our
# ports to an outgoing connection between allocation and the server's bind.
_SCAN_START = 20000
_SCAN_END = 32000


class _Cursor:
    """Where the next scan starts (random per process, so that two test processes on one
    machine do not probe the same ports), advanced past every allocation."""

    next: int = random.randrange(_SCAN_START, _SCAN_END)


_cursor = _Cursor()


def _bindable(port: int, kind: int, host: str) -> bool:
    sock = socket.socket(socket.AF_INET, kind)
    try:
        if kind == socket.SOCK_STREAM:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError:
        return False
    finally:
        sock.close()
    return True


def _port_is_free(port: int, *, udp: bool, tcp: bool, hosts: tuple[str, ...]) -> bool:
    for host in hosts:
        if udp and not _bindable(port, socket.SOCK_DGRAM, host):
            return False
        if tcp and not _bindable(port, socket.SOCK_STREAM, host):
            return False
    return True


def _candidates() -> list[int]:
    """Every port of the scan range, starting where the previous allocation stopped."""
    span = _SCAN_END - _SCAN_START
    return [_SCAN_START + (_cursor.next - _SCAN_START + i) % span for i in range(span)]


def free_port(*, udp: bool = True, tcp: bool = True, hosts: tuple[str, ...] = (LOOPBACK,)) -> int:
    """A port free on every host in ``hosts`` for UDP and/or TCP (both by default)."""
    return free_ports(1, udp=udp, tcp=tcp, hosts=hosts)[0]


def free_ports(
    count: int,
    *,
    udp: bool = True,
    tcp: bool = True,
    hosts: tuple[str, ...] = (LOOPBACK,),
    consecutive: bool = False,
) -> list[int]:
    """``count`` distinct free ports (UDP and TCP by default) on loopback.

    With ``consecutive=True`` the ports form one range ``[p, p + count)``, e.g. for a server that
    derives its ports from a base port.
    """
    if count < 1:
        raise ValueError("count must be at least 1")
    with _lock:
        chosen: list[int] = []
        for port in _candidates():
            if consecutive:
                if port + count > _SCAN_END:
                    continue
                block = list(range(port, port + count))
                if any(p in _handed_out for p in block):
                    continue
                if all(_port_is_free(p, udp=udp, tcp=tcp, hosts=hosts) for p in block):
                    chosen = block
                    break
                continue
            if port in _handed_out:
                continue
            if _port_is_free(port, udp=udp, tcp=tcp, hosts=hosts):
                chosen.append(port)
                if len(chosen) == count:
                    break
        if len(chosen) != count:
            raise RuntimeError(f"no {count} free port(s) found on {hosts}")
        _handed_out.update(chosen)
        _cursor.next = max(chosen) + 1
        if _cursor.next >= _SCAN_END:
            _cursor.next = _SCAN_START
        return chosen


def release_ports(ports: list[int] | tuple[int, ...]) -> None:
    """Allow the given ports to be handed out again (after their server has stopped for good)."""
    with _lock:
        _handed_out.difference_update(ports)
