"""Group routing and registrar freshness on loopback (issue 18).

Run from the repository root: ``python bench/routing_bench.py [--seconds 20] [--rate 50]``.

Set-up, as ``make demo`` does it: the provisioning server as a process (SQLite), a group
(extension 300, three members, all Ready: signed in and reported through the agent API), a
direct account (extension 400, SIP user ``direct-sip``: reached through the extension alias),
and Kamailio reading the server's database live (``export kamailio-routing``). The members and
the direct account are raw UDP SIP user agents in this process that REGISTER (digest) and
answer every INVITE with 486 at once.

* **route**: a caller (foreign domain, so no digest challenge is in the way; the routing is the
  same) sends ``--rate`` INVITEs a second to the group's extension and as many to the direct
  extension, interleaved, for ``--seconds``. Per call: the INVITE on the wire to Kamailio ->
  the first INVITE a member receives, both stamped with ``time.perf_counter`` in this process
  (one thread sends, one receives; the same Python overhead for both kinds). The difference of
  the p99s is what the group routing adds (two SQL queries on the views, the registered checks,
  the forking) over the direct path (alias lookup + location).
* **cpu**: the same calls again, group calls alone then direct calls alone (50 a second,
  ``--seconds``/2 each), with Kamailio's CPU time (all its processes, /proc) per call: on a
  loaded machine the latency's tail is the machine's stalls, CPU time is what routing costs.
* **change**: ``--changes`` times, the admin API sets a new SIP password for an account, then a
  REGISTER with the new password is sent at once and again until Kamailio accepts it: the time
  from the PATCH request to the 200. Each run also checks that the old password is refused.

Prints the figures and one JSON line.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import re
import secrets
import selectors
import socket
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from communicator.demo.contact_center import (  # noqa: E402
    AdminApi,
    admin_token,
    provisioning_server,
    server_database,
)
from tests.rig.kamailio import DEFAULT_DOMAIN, KamailioServer  # noqa: E402

AGENT_PW = "bench-agent-pw"
LOOP = "127.0.0.1"


def md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


def header(msg: str, name: str) -> str:
    for line in msg.split("\r\n"):
        if line.lower().startswith(name.lower() + ":"):
            return line.split(":", 1)[1].strip()
    return ""


class Ua:
    """A raw SIP UA on one UDP socket: REGISTER with digest, 486 to every INVITE."""

    def __init__(self, user: str, password: str, proxy: tuple[str, int]) -> None:
        self.user, self.password, self.proxy = user, password, proxy
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((LOOP, 0))
        self.port = self.sock.getsockname()[1]
        self.cseq = 0
        self.call_id = secrets.token_hex(8)

    def _register_msg(self, auth: str = "") -> bytes:
        self.cseq += 1
        uri = f"sip:{DEFAULT_DOMAIN}"
        lines = [
            f"REGISTER {uri} SIP/2.0",
            f"Via: SIP/2.0/UDP {LOOP}:{self.port};branch=z9hG4bK{secrets.token_hex(8)};rport",
            "Max-Forwards: 70",
            f"From: <sip:{self.user}@{DEFAULT_DOMAIN}>;tag={secrets.token_hex(4)}",
            f"To: <sip:{self.user}@{DEFAULT_DOMAIN}>",
            f"Call-ID: {self.call_id}",
            f"CSeq: {self.cseq} REGISTER",
            f"Contact: <sip:{self.user}@{LOOP}:{self.port}>",
            "Expires: 3600",
        ]
        if auth:
            lines.append(f"Authorization: {auth}")
        return ("\r\n".join([*lines, "Content-Length: 0", "", ""])).encode()

    def _digest(self, challenge: str, password: str) -> str:
        fields = dict(re.findall(r'(\w+)="?([^",]*)"?', challenge))
        realm, nonce = fields["realm"], fields["nonce"]
        uri = f"sip:{DEFAULT_DOMAIN}"
        ha1 = md5(f"{self.user}:{realm}:{password}")
        ha2 = md5(f"REGISTER:{uri}")
        auth = f'Digest username="{self.user}", realm="{realm}", nonce="{nonce}", uri="{uri}"'
        if "qop" in fields:
            cnonce, nc = secrets.token_hex(4), "00000001"
            resp = md5(f"{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}")
            auth += f', qop=auth, nc={nc}, cnonce="{cnonce}"'
        else:
            resp = md5(f"{ha1}:{nonce}:{ha2}")
        return auth + f', response="{resp}", algorithm=MD5'

    def _exchange(self, data: bytes) -> str:
        self.sock.settimeout(2.0)
        self.sock.sendto(data, self.proxy)
        while True:
            msg = self.sock.recv(65535).decode(errors="replace")
            if msg.startswith("SIP/2.0 ") and int(msg[8:11]) >= 200:
                return msg

    def register(self, password: str | None = None) -> int:
        """One REGISTER with its digest challenge; the final status code (blocking)."""
        pw = self.password if password is None else password
        reply = self._exchange(self._register_msg())
        if reply[8:11] in ("401", "407"):
            challenge = header(reply, "WWW-Authenticate") or header(reply, "Proxy-Authenticate")
            reply = self._exchange(self._register_msg(self._digest(challenge, pw)))
        return int(reply[8:11])


def busy_reply(msg: str) -> bytes:
    lines = ["SIP/2.0 486 Busy Here"]
    for line in msg.split("\r\n"):
        low = line.lower()
        if low.startswith(("via:", "from:", "call-id:", "cseq:")):
            lines.append(line)
        elif low.startswith("to:"):
            lines.append(line + f";tag={secrets.token_hex(4)}")
    return ("\r\n".join([*lines, "Content-Length: 0", "", ""])).encode()


class Caller:
    """Sends INVITEs (no digest: a foreign From) and ACKs their final answers."""

    def __init__(self, proxy: tuple[str, int]) -> None:
        self.proxy = proxy
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((LOOP, 0))
        self.port = self.sock.getsockname()[1]
        self.sent: dict[str, tuple[str, int]] = {}  # call id -> (kind, send time ns)
        self.finals: dict[int, int] = {}

    def invite(self, ext: int, kind: str) -> None:
        call_id = f"{kind}-{secrets.token_hex(8)}"
        branch = f"z9hG4bK{secrets.token_hex(8)}"
        msg = "\r\n".join(
            [
                f"INVITE sip:{ext}@{DEFAULT_DOMAIN} SIP/2.0",
                f"Via: SIP/2.0/UDP {LOOP}:{self.port};branch={branch};rport",
                "Max-Forwards: 70",
                f"From: <sip:bench@bench.invalid>;tag={secrets.token_hex(4)}",
                f"To: <sip:{ext}@{DEFAULT_DOMAIN}>",
                f"Call-ID: {call_id}",
                "CSeq: 1 INVITE",
                f"Contact: <sip:bench@{LOOP}:{self.port}>",
                "Content-Length: 0",
                "",
                "",
            ]
        ).encode()
        self.sent[call_id] = (kind, time.perf_counter_ns())
        self.sock.sendto(msg, self.proxy)

    def on_reply(self, msg: str) -> None:
        code = int(msg[8:11])
        if code < 200 or "INVITE" not in header(msg, "CSeq"):
            return
        self.finals[code] = self.finals.get(code, 0) + 1
        first = msg.split("\r\n", 1)[0]
        del first
        ack = [f"ACK sip:{header(msg, 'To').split('<sip:')[1].split('>')[0]} SIP/2.0"]
        for line in msg.split("\r\n")[1:]:
            low = line.lower()
            if low.startswith(("via:", "from:", "to:", "call-id:")):
                ack.append(line)
        ack += ["Max-Forwards: 70", "CSeq: 1 ACK", "Content-Length: 0", "", ""]
        self.sock.sendto("\r\n".join(ack).encode(), self.proxy)


def receive(members: list[Ua], caller: Caller, got: dict[str, int], stop: threading.Event) -> None:
    """The receiving thread: members stamp each first INVITE of a call and answer 486."""
    sel = selectors.DefaultSelector()
    for ua in members:
        ua.sock.setblocking(False)
        sel.register(ua.sock, selectors.EVENT_READ, ua)
    caller.sock.setblocking(False)
    sel.register(caller.sock, selectors.EVENT_READ, caller)
    while not stop.is_set():
        for key, _ in sel.select(0.2):
            sock: socket.socket = key.fileobj  # type: ignore[assignment]
            with contextlib.suppress(BlockingIOError):
                while True:
                    data, addr = sock.recvfrom(65535)
                    now = time.perf_counter_ns()
                    msg = data.decode(errors="replace")
                    if key.data is caller:
                        caller.on_reply(msg)
                    elif msg.startswith("INVITE "):
                        got.setdefault(header(msg, "Call-ID"), now)
                        sock.sendto(busy_reply(msg), addr)
                    elif msg.startswith("CANCEL "):
                        sock.sendto(busy_reply(msg).replace(b"486 Busy Here", b"200 OK"), addr)


def percentile(values: list[float], p: int) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def route_figures(
    members: list[Ua], direct: Ua, proxy: tuple[str, int], seconds: float, rate: float
) -> dict[str, Any]:
    caller = Caller(proxy)
    got: dict[str, int] = {}
    stop = threading.Event()
    thread = threading.Thread(
        target=receive, args=([*members, direct], caller, got, stop), daemon=True
    )
    thread.start()
    interval = 1.0 / (2 * rate)  # group and direct calls interleaved, `rate` each per second
    start = time.perf_counter()
    n = 0
    while time.perf_counter() - start < seconds:
        caller.invite(300 if n % 2 == 0 else 400, "group" if n % 2 == 0 else "direct")
        n += 1
        delay = start + n * interval - time.perf_counter()
        if delay > 0:
            time.sleep(delay)  # pacing the load generator, not synchronising
    time.sleep(1.0)  # the last answers
    stop.set()
    thread.join()
    result: dict[str, Any] = {"calls_per_s_each": rate, "seconds": seconds}
    for kind in ("group", "direct"):
        ms = [
            (got[cid] - sent) / 1e6
            for cid, (k, sent) in caller.sent.items()
            if k == kind and cid in got
        ]
        sent_n = sum(1 for k, _ in caller.sent.values() if k == kind)
        result[kind] = {
            "calls": sent_n,
            "routed": len(ms),
            "p50_ms": round(statistics.median(ms), 3),
            "p99_ms": round(percentile(ms, 99), 3),
            "max_ms": round(max(ms), 3),
        }
    result["group_adds_p99_ms"] = round(result["group"]["p99_ms"] - result["direct"]["p99_ms"], 3)
    result["group_adds_p50_ms"] = round(result["group"]["p50_ms"] - result["direct"]["p50_ms"], 3)
    result["caller_finals"] = caller.finals
    return result


def kamailio_cpu_s(main_pid: int) -> float:
    """CPU time (user + system) of Kamailio's main process and the processes it forked."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        ppid = int(fields[1])
        if int(entry) == main_pid or ppid == main_pid:
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def cpu_per_call(
    main_pid: int, members: list[Ua], direct: Ua, proxy: tuple[str, int], seconds: float
) -> dict[str, float]:
    """Kamailio's CPU time per call, group calls alone then direct calls alone (the machine's
    load does not inflate CPU time the way it inflates latency)."""
    out = {}
    for kind, ext in (("group", 300), ("direct", 400)):
        caller = Caller(proxy)
        got: dict[str, int] = {}
        stop = threading.Event()
        thread = threading.Thread(
            target=receive, args=([*members, direct], caller, got, stop), daemon=True
        )
        thread.start()
        before = kamailio_cpu_s(main_pid)
        start, n = time.perf_counter(), 0
        while time.perf_counter() - start < seconds:
            caller.invite(ext, kind)
            n += 1
            delay = start + n * 0.02 - time.perf_counter()
            if delay > 0:
                time.sleep(delay)  # pacing: 50 calls a second
        time.sleep(1.0)  # the last answers
        out[f"{kind}_cpu_ms_per_call"] = round((kamailio_cpu_s(main_pid) - before) * 1000 / n, 3)
        stop.set()
        thread.join()
    out["group_adds_cpu_ms_per_call"] = round(
        out["group_cpu_ms_per_call"] - out["direct_cpu_ms_per_call"], 3
    )
    return out


def change_figures(admin: AdminApi, account_id: int, ua: Ua, changes: int) -> dict[str, Any]:
    times, old_refused, attempts = [], 0, []
    old = ua.password
    for i in range(changes):
        new = f"bench-pw-{i}-{secrets.token_hex(4)}"
        t0 = time.perf_counter()
        admin("PATCH", f"/accounts/{account_id}", json={"sip_password": new})
        tries = 1
        while ua.register(new) != 200:
            tries += 1
            if time.perf_counter() - t0 > 10:
                raise RuntimeError("Kamailio did not take the new password within 10 s")
        times.append((time.perf_counter() - t0) * 1000)
        attempts.append(tries)
        old_refused += ua.register(old) in (401, 403)
        old = new
    return {
        "changes": changes,
        "p50_ms": round(statistics.median(times), 2),
        "p99_ms": round(percentile(times, 99), 2),
        "max_ms": round(max(times), 2),
        "registers_needed_max": max(attempts),
        "old_password_refused": old_refused,
    }


@contextlib.contextmanager
def center(work: Path) -> Iterator[tuple[AdminApi, str]]:
    token = admin_token(work)
    with provisioning_server(work) as url:
        admin = AdminApi(url, token)
        try:
            yield admin, url
        finally:
            admin.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--rate", type=float, default=50.0, help="group calls per second")
    parser.add_argument("--changes", type=int, default=100)
    parser.add_argument("--order", default="simultaneous")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="routing-bench-"))
    import httpx

    with center(work) as (admin, url):
        sip = {"sip_server": LOOP, "sip_domain": DEFAULT_DOMAIN}
        group = admin(
            "POST",
            "/groups",
            json={"name": "Bench", "extension": 300, "call_order": args.order},
        )
        members: list[Ua] = []
        with KamailioServer(
            directory_db=f"sqlite://{server_database(work).resolve()}", run_dir=work / "kam"
        ) as kam:
            proxy = (LOOP, kam.udp_port)
            for n in (1, 2, 3):
                agent = admin(
                    "POST",
                    "/agents",
                    json={"login": f"m{n}", "password": AGENT_PW, "group_id": group["id"]},
                )
                pw = f"m{n}-sip-pw"
                admin(
                    "POST",
                    "/accounts",
                    json={
                        "agent_id": agent["id"],
                        "sip_username": f"m{n}-sip",
                        "sip_password": pw,
                        "extension": 300 + n,
                        **sip,
                    },
                )
                token = httpx.post(
                    f"{url}/api/v1/sessions", json={"login": f"m{n}", "password": AGENT_PW}
                ).json()["token"]
                httpx.put(
                    f"{url}/api/v1/agent/status",
                    json={"state": "ready", "registration": {"registered": True}},
                    headers={"Authorization": f"Bearer {token}"},
                ).raise_for_status()
                members.append(Ua(f"m{n}-sip", pw, proxy))
            admin(
                "POST",
                "/accounts",
                json={
                    "sip_username": "direct-sip",
                    "sip_password": "direct-pw",
                    "extension": 400,
                    "pool": False,
                    **sip,
                },
            )
            direct = Ua("direct-sip", "direct-pw", proxy)
            changed = admin(
                "POST",
                "/accounts",
                json={
                    "sip_username": "change-sip",
                    "sip_password": "change-pw",
                    "extension": 401,
                    **sip,
                },
            )
            for ua in [*members, direct]:
                assert ua.register() == 200, ua.user
            load_start = os.getloadavg()[0]
            route = route_figures(members, direct, proxy, args.seconds, args.rate)
            assert kam.process is not None and kam.process.pid is not None
            route.update(cpu_per_call(kam.process.pid, members, direct, proxy, args.seconds / 2))
            change = change_figures(
                admin, changed["id"], Ua("change-sip", "change-pw", proxy), args.changes
            )
            load_end = os.getloadavg()[0]
    out = {
        "bench": "routing",
        "order": args.order,
        "route": route,
        "change_to_registrar": change,
        "load": [round(load_start, 2), round(load_end, 2)],
    }
    print(
        f"group call routing ({args.order}, {args.rate:g}/s + direct {args.rate:g}/s): "
        f"p50 {route['group']['p50_ms']} ms, p99 {route['group']['p99_ms']} ms; "
        f"direct p50 {route['direct']['p50_ms']} ms, p99 {route['direct']['p99_ms']} ms; "
        f"group adds {route['group_adds_p99_ms']} ms at p99; Kamailio CPU per call: group "
        f"{route['group_cpu_ms_per_call']} ms, direct {route['direct_cpu_ms_per_call']} ms"
    )
    print(
        f"admin change -> registrar: p50 {change['p50_ms']} ms, p99 {change['p99_ms']} ms "
        f"({change['changes']} changes, old password refused {change['old_password_refused']})"
    )
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
