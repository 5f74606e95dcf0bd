"""Admin console pages benchmark (issue 17): every page the issue names (VoIP accounts, agents,
groups and the group editor's members search, the extension pool, the live board, the call
reports with each filter, the audit history), served by a real ``communicator-server serve``
process over loopback.

Seeds a SQLite database (or ``--db postgresql``: the server bench's throwaway cluster) with
1,000 agents in 20 groups (950 with a fixed number, 50 borrowing from a pool of 100), every
agent signed in with a reported state and registration, 100,000 call logs (half with
quality figures, some with a recording) and 5,000 audit entries by 5 admins; then signs in to
the console as an admin and times
sequential GETs of each page (the whole answer read) and the server process's CPU time per
request (which other load on the machine moves far less than the wall time), and the time from
an agent's status report to the live board's server-sent event carrying it. Target (issue 17):
each page p95 <= 100 ms. The last line is one JSON object.

Usage: .venv/bin/python bench/console_bench.py [--db sqlite|postgresql] [--requests 100]
       [--agents 1000] [--logs 100000] [--quick]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import queue
import random
import re
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from server_bench import PASSWORD, Server, bench_database, pct  # noqa: E402

from communicator.provisioning.server import db as db_mod  # noqa: E402
from communicator.provisioning.server.admin_models import AuditEntry  # noqa: E402
from communicator.provisioning.server.config import ServerConfig  # noqa: E402
from communicator.provisioning.server.models import (  # noqa: E402
    Agent,
    AgentStatusRow,
    CallLog,
    Group,
    SignInSession,
    VoipAccount,
    fill_defaults,
)
from communicator.provisioning.server.security import HASHER, SecretBox, token_digest  # noqa: E402

ADMIN, ADMIN_PASSWORD = "bench-admin", "bench admin password"
AUDIT_ENTRIES = 5000
STATES = ["ready", "not_ready", "on_call", "wrap_up", "ready", "ready"]


def seed(cfg: ServerConfig, n_agents: int, n_logs: int) -> dict[str, Any]:
    """Rows written directly (one shared password hash); returns a few names to filter by."""
    engine = db_mod.make_engine(cfg.db_url, pool_size=1)
    db_mod.upgrade(engine)
    box = SecretBox.load(cfg.data_dir)
    pw_hash = HASHER.hash(PASSWORD)
    sip_pw = box.encrypt("sip-secret")
    now = dt.datetime.now(dt.UTC)
    rng = random.Random(17)
    pooled = max(1, n_agents // 20)
    tokens: dict[str, str] = {}
    with db_mod.make_sessionmaker(engine)() as s:
        groups = [Group(name=f"Group {g:02d}", extension=900 + g) for g in range(20)]
        s.add_all(groups)
        s.flush()
        agents = [
            Agent(
                login=f"agent{i}",
                display_name=f"Agent {i}",
                email="",
                password_hash=pw_hash,
                active=True,
                permission_level=10,
                group_id=groups[i % len(groups)].id,
            )
            for i in range(n_agents)
        ]
        s.add_all(agents)
        s.flush()
        # The first agents have a fixed number; the last `pooled` hold a lease on half of a
        # pool of 2 * pooled numbers.
        fixed_agents, lessees = agents[: n_agents - pooled], agents[n_agents - pooled :]
        accounts = []
        for i in range(len(fixed_agents) + 2 * pooled):
            lessee = lessees[i - len(fixed_agents)] if 0 <= i - len(fixed_agents) < pooled else None
            acc = VoipAccount(
                agent_id=fixed_agents[i].id if i < len(fixed_agents) else None,
                extension=1000 + i,
                sip_username=f"sip{i}",
                sip_password_enc=sip_pw,
                sip_server="127.0.0.1",
                transports=["udp"],
                codecs=["opus", "PCMA"],
                forwarding={},
                lease_agent_id=lessee.id if lessee else None,
                lease_expires_at=now + dt.timedelta(hours=1) if lessee else None,
            )
            fill_defaults(acc)
            accounts.append(acc)
        s.add_all(accounts)
        s.flush()
        by_agent = {a.agent_id or a.lease_agent_id: a for a in accounts}
        for i, agent in enumerate(agents):
            token = f"cs_bench_{uuid.uuid4().hex}"
            tokens[agent.login] = token
            mine = by_agent.get(agent.id)
            s.add(
                SignInSession(
                    token_hash=token_digest(token),
                    agent_id=agent.id,
                    account_id=mine.id if mine else None,
                    created_at=now - dt.timedelta(minutes=rng.randint(1, 300)),
                    expires_at=now + dt.timedelta(hours=8),
                    address="127.0.0.1",
                )
            )
            state = STATES[i % len(STATES)]
            s.add(
                AgentStatusRow(
                    agent_id=agent.id,
                    state=state,
                    reason="lunch" if state == "not_ready" else None,
                    state_since=now - dt.timedelta(seconds=rng.randint(1, 3600)),
                    registered=i % 10 != 0,
                    contact=f"10.0.{i // 250}.{i % 250 + 1}:5060",
                    transport="udp",
                    expires_s=30,
                    registrar="pbx.example.com:5060",
                    reported_at=now,
                )
            )
        s.commit()
        agent_ids = [a.id for a in agents]
        group_of = {a.id: a.group_id for a in agents}
        ext_of = {a.id: by_agent[a.id].extension for a in agents if a.id in by_agent}
    start = now - dt.timedelta(days=90)
    batch: list[dict[str, Any]] = []
    with engine.begin() as conn:
        for n in range(n_logs):
            agent_id = agent_ids[n % len(agent_ids)]
            began = start + dt.timedelta(seconds=n * 77)
            answered = n % 4 != 0
            talk = rng.randint(5, 900) if answered else 0
            batch.append(
                {
                    "id": uuid.UUID(int=rng.getrandbits(128)),
                    "agent_id": agent_id,
                    "group_id": group_of[agent_id],
                    "account_id": None,
                    "extension": ext_of.get(agent_id),
                    "line": 1,
                    "direction": "inbound" if n % 3 else "outbound",
                    "remote": f"+1 555 {n % 10000:04d}",
                    "local_number": "",
                    "started_at": began,
                    "answered_at": began + dt.timedelta(seconds=4) if answered else None,
                    "ended_at": began + dt.timedelta(seconds=4 + talk),
                    "duration_s": float(talk),
                    "end_reason": "hangup" if answered else "no answer",
                    "sip_code": None if answered else 480,
                    "quality": (
                        {"mos": 4.1, "level": "good", "rx_loss_pct": 0.3, "rx_jitter_ms": 11.0}
                        if n % 2
                        else None
                    ),
                    "received_at": began,
                    "recording_file": f"{n}.wav" if n % 50 == 0 else None,
                    "recording_type": "audio/wav" if n % 50 == 0 else None,
                }
            )
            if len(batch) == 5000:
                conn.execute(insert(CallLog), batch)
                batch.clear()
        if batch:
            conn.execute(insert(CallLog), batch)
        conn.execute(
            insert(AuditEntry),
            [
                {
                    "at": now - dt.timedelta(minutes=n),
                    "admin": f"admin{n % 5}",
                    "action": "update",
                    "object_type": ("agent", "group", "voip_account")[n % 3],
                    "object_id": n % 1000 + 1,
                    "object_label": f"agent{n % 1000}",
                    "changes": {"display_name": [f"Agent {n}", f"Agent {n + 1}"]},
                }
                for n in range(AUDIT_ENTRIES)
            ],
        )
    engine.dispose()
    middle = (start + dt.timedelta(seconds=n_logs * 77 // 2)).date().isoformat()
    audit_day = (now - dt.timedelta(days=1)).date().isoformat()
    return {"tokens": tokens, "day": middle, "audit_day": audit_day}


def console_user(cfg: ServerConfig) -> None:
    subprocess.run(
        [sys.executable, "-m", "communicator.provisioning.server.cli", "admin", "create-user",
         ADMIN, "--db", cfg.db_url, "--data-dir", str(cfg.data_dir),
         "--password-env", "CONSOLE_PASSWORD"],
        check=True, capture_output=True, cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), "CONSOLE_PASSWORD": ADMIN_PASSWORD},
    )  # fmt: skip


def sign_in(client: httpx.Client) -> None:
    form = client.get("/admin/sign-in")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert csrf is not None
    resp = client.post(
        "/admin/sign-in",
        data={"csrf": csrf.group(1), "name": ADMIN, "password": ADMIN_PASSWORD, "next": ""},
    )
    assert resp.status_code == 303, resp.text


def cpu_s(pid: int) -> float:
    """The process's user + system CPU time so far: a figure other load moves little."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def time_page(client: httpx.Client, path: str, n: int, pid: int) -> dict[str, float]:
    times = []
    size = 0
    cpu0 = cpu_s(pid)
    for _ in range(n):
        t0 = time.perf_counter()
        resp = client.get(path)
        body = resp.content
        times.append(time.perf_counter() - t0)
        assert resp.status_code == 200, (path, resp.status_code, resp.text[:300])
        size = len(body)
    cpu_ms = (cpu_s(pid) - cpu0) / n * 1000
    return {
        "p50_ms": pct(times, 50) * 1000,
        "p95_ms": pct(times, 95) * 1000,
        "cpu_ms": cpu_ms,
        "kb": size / 1024,
    }


def board_latency(url: str, cookies: httpx.Cookies, api_token: str, n: int) -> dict[str, float]:
    """From an agent's status report (PUT answered) to the board event that shows it (the
    agent is on the board's first page)."""
    events: queue.Queue[str] = queue.Queue()
    stop = threading.Event()

    def listen() -> None:
        with (
            httpx.Client(base_url=url, cookies=cookies, timeout=httpx.Timeout(10, read=None)) as c,
            c.stream("GET", "/admin/board/events") as resp,
        ):
            kind, data = "", []
            for line in resp.iter_lines():
                if stop.is_set():
                    return
                if line.startswith("event:"):
                    kind = line[6:].strip()
                elif line.startswith("data:"):
                    data.append(line[5:].lstrip())
                elif line == "" and kind:
                    events.put("\n".join(data) if kind == "board" else kind)
                    kind, data = "", []

    thread = threading.Thread(target=listen, daemon=True)
    thread.start()
    events.get(timeout=30)  # the board as the stream starts
    times = []
    with httpx.Client(base_url=url, timeout=10) as c:
        for i in range(n):
            reason = f"r{i}"
            body = {"state": "not_ready", "reason": reason, "registration": {"registered": True}}
            t0 = time.perf_counter()
            resp = c.put(
                "/api/v1/agent/status", json=body, headers={"Authorization": f"Bearer {api_token}"}
            )
            assert resp.status_code == 200, resp.text
            while f">{reason}<" not in events.get(timeout=30):
                pass
            times.append(time.perf_counter() - t0)
    stop.set()
    return {"p50_ms": pct(times, 50) * 1000, "p95_ms": pct(times, 95) * 1000}


def run(args: argparse.Namespace, db_url: str, tmp: Path) -> dict[str, Any]:
    cfg = ServerConfig.create(db=db_url, data_dir=tmp / "data")
    load_start = os.getloadavg()[0]
    t0 = time.perf_counter()
    seeded = seed(cfg, args.agents, args.logs)
    console_user(cfg)
    print(
        f"cores: {os.cpu_count()}  database: {cfg.engine_name()}  agents: {args.agents}  "
        f"call logs: {args.logs}  seeded in {time.perf_counter() - t0:.1f}s  "
        f"load: {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    server = Server(cfg, tmp)
    pages = {
        "accounts": "/admin/accounts",
        "accounts_search": "/admin/accounts?q=sip12&sort=agent",
        "account_editor": "/admin/accounts/1",
        "agents_list": "/admin/agents",
        "agent_editor": "/admin/agents/1",
        "groups_list": "/admin/groups",
        "group_editor": "/admin/groups/1",
        "member_search": "/admin/member-choices?q=agent1",
        "pool": "/admin/pool",
        "board": "/admin/board",
        "reports": "/admin/reports",
        "reports_middle_page": f"/admin/reports?page={args.logs // 100}",
        "reports_last_page": f"/admin/reports?page={args.logs // 50}",
        "reports_agent": "/admin/reports?agent=agent7",
        "reports_group": "/admin/reports?group=Group+03",
        "reports_number": "/admin/reports?number=555+12",
        "reports_day": f"/admin/reports?from={seeded['day']}&to={seeded['day']}",
        "reports_csv_day": f"/admin/reports/calls.csv?from={seeded['day']}&to={seeded['day']}",
        "audit": "/admin/audit",
        "audit_filtered": f"/admin/audit?admin=admin3&object=agent&since={seeded['audit_day']}",
    }
    result: dict[str, Any] = {}
    try:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            sign_in(client)
            for name, path in pages.items():
                client.get(path)  # warm
                res = time_page(client, path, args.requests, server.proc.pid)
                result[name] = {k: round(v, 1) for k, v in res.items()}
                ok = "ok" if res["p95_ms"] <= 100 else "OVER 100 ms"
                print(
                    f"{name:20s} p50 {res['p50_ms']:6.1f} ms  p95 {res['p95_ms']:6.1f} ms  "
                    f"server CPU {res['cpu_ms']:5.1f} ms/request  {res['kb']:5.0f} KiB  {ok}"
                )
            lat = board_latency(
                server.url, client.cookies, seeded["tokens"]["agent0"], args.board_updates
            )
            result["board_update"] = {k: round(v, 1) for k, v in lat.items()}
            print(
                f"board update (status PUT -> SSE event): p50 {lat['p50_ms']:.1f} ms  "
                f"p95 {lat['p95_ms']:.1f} ms"
            )
    finally:
        server.stop()
    result.update(
        agents=args.agents,
        call_logs=args.logs,
        requests=args.requests,
        db=args.db,
        cores=os.cpu_count(),
        load_avg_1m=[round(load_start, 2), round(os.getloadavg()[0], 2)],
        pages_over_100ms=[k for k in pages if result[k]["p95_ms"] > 100],
    )
    return result


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    ap.add_argument("--agents", type=int, default=1000)
    ap.add_argument("--logs", type=int, default=100_000)
    ap.add_argument("--requests", type=int, default=100, help="timed GETs per page")
    ap.add_argument("--board-updates", type=int, default=30)
    ap.add_argument("--quick", action="store_true", help="small numbers, for a smoke run")
    args = ap.parse_args()
    if args.quick:
        args.agents, args.logs, args.requests, args.board_updates = 100, 5000, 10, 5
    with bench_database(args.db, "console-bench-") as (db_url, tmp):
        result = run(args, db_url, tmp)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
