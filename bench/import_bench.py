"""CSV import benchmark: a large accounts import against a real server, and what it does to
the agents signing in meanwhile.

Against a real ``communicator-server serve`` (as ``server_bench.py`` starts it) on SQLite
(default) or a throwaway PostgreSQL cluster (``--db postgresql``):
- an import of ``--rows`` new VoIP accounts through the API (extensions picked by the server),
  then the same file again (every row an update): milliseconds per row;
- sign-ins (with their profile fetch) started every ``--probe-s`` seconds while each import
  runs: how long an agent waits while an import holds the database's writer.
Figures are medians over ``--runs`` runs. The last line is one JSON object.

Usage: .venv/bin/python bench/import_bench.py [--db sqlite|postgresql] [--rows 5000] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from server_bench import PASSWORD, Server, bench_database, seed

from communicator.provisioning.server import db as db_mod
from communicator.provisioning.server.config import ServerConfig
from communicator.provisioning.server.services import sessions

SIGN_IN_AGENTS = 200


def admin_token(cfg: ServerConfig) -> str:
    engine = db_mod.make_engine(cfg.db_url, pool_size=1)
    try:
        with db_mod.make_sessionmaker(engine)() as s:
            token = sessions.create_admin_token(s, "import-bench")
            s.commit()
            return token
    finally:
        engine.dispose()


def accounts_csv(run: int, rows: int) -> bytes:
    lines = ["sip_username,sip_password,sip_server"]
    lines += [f"imp{run}-{n},pw-{run}-{n}-secret,127.0.0.1" for n in range(rows)]
    return ("\r\n".join(lines) + "\r\n").encode()


class SignInProbe:
    """Signs an agent in (and fetches the profile) every ``every_s`` until stopped; keeps the
    seconds each took."""

    def __init__(self, url: str, every_s: float, first_agent: int) -> None:
        self._url, self._every = url, every_s
        self._next = first_agent
        self._stop = threading.Event()
        self.took: list[float] = []
        self.failed = 0
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> SignInProbe:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        with httpx.Client(base_url=self._url, timeout=120) as c:
            while not self._stop.is_set():
                login = f"agent{self._next % SIGN_IN_AGENTS}"
                self._next += 1
                started = time.perf_counter()
                resp = c.post("/api/v1/sessions", json={"login": login, "password": PASSWORD})
                if resp.status_code == 201:
                    token = resp.json()["token"]
                    auth = {"Authorization": f"Bearer {token}"}
                    fetched = c.get("/api/v1/profile", headers=auth)
                    c.delete("/api/v1/sessions/current", headers=auth)
                    if fetched.status_code == 200:
                        self.took.append(time.perf_counter() - started)
                    else:
                        self.failed += 1
                else:
                    self.failed += 1
                self._stop.wait(self._every)


def timed_import(url: str, token: str, body: bytes, probe_s: float, run: int) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "text/csv"}
    with SignInProbe(url, probe_s, run * 50) as probe:
        started = time.perf_counter()
        resp = httpx.post(
            f"{url}/api/v1/admin/accounts/import", content=body, headers=headers, timeout=3600
        )
        took = time.perf_counter() - started
    if resp.status_code != 200:
        raise SystemExit(f"import refused: {resp.status_code} {resp.text[:300]}")
    waits = probe.took
    return {
        "s": took,
        "answer": resp.json(),
        "signin_max_s": max(waits) if waits else float("nan"),
        "signin_p50_s": statistics.median(waits) if waits else float("nan"),
        "signins": len(waits),
        "signin_failures": probe.failed,
    }


def quiet_signin_s(url: str) -> float:
    took = []
    with httpx.Client(base_url=url, timeout=60) as c:
        for n in range(5):
            started = time.perf_counter()
            resp = c.post("/api/v1/sessions", json={"login": f"agent{n}", "password": PASSWORD})
            token = resp.json()["token"]
            c.get("/api/v1/profile", headers={"Authorization": f"Bearer {token}"})
            took.append(time.perf_counter() - started)
            c.delete("/api/v1/sessions/current", headers={"Authorization": f"Bearer {token}"})
    return statistics.median(took)


def run_all(args: argparse.Namespace, db_url: str, tmp: Path) -> dict[str, Any]:
    load_start = os.getloadavg()[0]
    cfg = ServerConfig.create(db=db_url, data_dir=tmp / "data")
    os.environ.pop("COMMUNICATOR_SERVER_KEY", None)
    seed(cfg, SIGN_IN_AGENTS, 0)
    token = admin_token(cfg)
    server = Server(cfg, tmp)
    creates: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    try:
        quiet = quiet_signin_s(server.url)
        print(f"database: {cfg.engine_name()}  rows: {args.rows}  sign-in: {quiet * 1000:.0f} ms")
        for run in range(args.runs):
            body = accounts_csv(run, args.rows)
            for kind, into in (("create", creates), ("update", updates)):
                res = timed_import(server.url, token, body, args.probe_s, run)
                into.append(res)
                print(
                    f"run {run + 1} {kind}: {res['s']:.1f} s ({res['s'] / args.rows * 1000:.2f}"
                    f" ms/row) {res['answer']}; sign-ins meanwhile: {res['signins']}, p50 "
                    f"{res['signin_p50_s'] * 1000:.0f} ms, max {res['signin_max_s'] * 1000:.0f}"
                    f" ms, failed {res['signin_failures']}"
                )
    finally:
        server.stop()

    def med(results: list[dict[str, Any]], key: str) -> float:
        return float(statistics.median(r[key] for r in results))

    return {
        "db": args.db,
        "rows": args.rows,
        "runs": args.runs,
        "import_create_ms_per_row": round(med(creates, "s") / args.rows * 1000, 2),
        "import_update_ms_per_row": round(med(updates, "s") / args.rows * 1000, 2),
        "import_create_s": round(med(creates, "s"), 1),
        "signin_quiet_ms": round(quiet * 1000, 1),
        "signin_during_import_p50_ms": round(med(creates + updates, "signin_p50_s") * 1000, 1),
        "signin_during_import_max_ms": round(
            max(r["signin_max_s"] for r in creates + updates) * 1000, 1
        ),
        "signin_failures": sum(r["signin_failures"] for r in creates + updates),
        "cores": os.cpu_count(),
        "load_avg_1m": [round(load_start, 2), round(os.getloadavg()[0], 2)],
    }


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    ap.add_argument("--rows", type=int, default=5000, help="accounts in the imported file")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--probe-s", type=float, default=0.5, help="pause between probe sign-ins")
    args = ap.parse_args()
    with bench_database(args.db, "import-bench-") as (db_url, tmp):
        result = run_all(args, db_url, tmp)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
