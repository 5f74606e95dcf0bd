"""Server CPU per sign-in, next to one argon2id verify's CPU, from the same run.

The login storm's sign-ins/s move with everything else running on the machine; the CPU the
server process spends per sign-in (read from ``/proc``) moves far less, so it is the figure to
A/B two trees with::

    .venv/bin/python bench/signin_cpu.py [ROOT]

ROOT is a checkout (default: this one), e.g. a ``git worktree`` of the commit to compare;
interleave the runs of the two trees. Each of the 4 rounds signs in 300 agents (4 clients,
sign-in then profile fetch, as ``server_bench.py``'s storm) against one server on SQLite and
prints the server's CPU ms per sign-in, the verify CPU ms measured in this process just before,
and the median difference (the server's non-hash work per sign-in and profile fetch).
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.chdir(ROOT)

# That tree's server_bench (its Server starts that tree's server), loaded by path.
_spec = importlib.util.spec_from_file_location("tree_server_bench", ROOT / "bench/server_bench.py")
assert _spec is not None and _spec.loader is not None
sb = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sb)
from communicator.provisioning.server.config import ServerConfig  # noqa: E402
from communicator.provisioning.server.security import HASHER  # noqa: E402

ROUNDS, PER_ROUND, CLIENTS = 4, 300, 4


def process_cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> int:
    tmp = Path(tempfile.mkdtemp(prefix="signin-cpu-"))
    cfg = ServerConfig.create(db=f"sqlite:///{tmp}/db.sqlite", data_dir=tmp / "data")
    os.environ.pop("COMMUNICATOR_SERVER_KEY", None)
    sb.seed(cfg, ROUNDS * PER_ROUND, 2 * ROUNDS * PER_ROUND)
    server = sb.Server(cfg, tmp, 1)
    hashed = HASHER.hash(sb.PASSWORD)
    rounds: list[tuple[float, float]] = []
    try:
        for r in range(ROUNDS):
            t0 = time.process_time()
            for _ in range(20):
                HASHER.verify(hashed, sb.PASSWORD)
            verify_ms = (time.process_time() - t0) / 20 * 1000
            before = process_cpu_s(server.proc.pid)
            logins = [f"agent{i}" for i in range(r * PER_ROUND, (r + 1) * PER_ROUND)]
            asyncio.run(sb.login_storm(server.port, logins, CLIENTS))
            server_ms = (process_cpu_s(server.proc.pid) - before) / PER_ROUND * 1000
            rounds.append((server_ms, verify_ms))
    finally:
        server.stop()
    print(
        json.dumps(
            {
                "server_cpu_ms_per_signin": [round(x[0], 1) for x in rounds],
                "verify_cpu_ms": [round(x[1], 1) for x in rounds],
                "median_nonhash_ms": round(statistics.median(x[0] - x[1] for x in rounds), 2),
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
