"""Several server processes on one PostgreSQL database: they migrate a fresh database together,
share one server key (and refuse to start with another), allocate extensions without 409s,
catch up on changes after their LISTEN connection drops, and ``serve --workers N``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from sqlalchemy import text

from communicator.provisioning.server import db as db_mod

from .conftest import ROOT, Api, LiveServer, PgCluster, admin_token, make_config
from .test_live import EventStream

LISTENER = "communicator-listen"


def fresh_database(cluster: PgCluster, name: str) -> str:
    """An empty database (no schema at all), unlike ``new_database``'s migrated template."""
    with psycopg.connect(
        f"host=127.0.0.1 port={cluster.port} user=postgres dbname=postgres", autocommit=True
    ) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
    return cluster.url(name)


def psql(cluster: PgCluster, sql: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(
        f"host=127.0.0.1 port={cluster.port} user=postgres dbname=postgres", autocommit=True
    ) as conn:
        return list(conn.execute(sql).fetchall())


def listeners(cluster: PgCluster, pid: int) -> list[int]:
    """Backend pids of the LISTEN connections of the server process ``pid``."""
    rows = psql(
        cluster,
        "SELECT pid FROM pg_stat_activity "
        f"WHERE application_name = '{LISTENER}-{pid}' AND state IS NOT NULL",
    )
    return [int(r[0]) for r in rows]


def wait_until(check: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.05)  # polling another process's state


@contextmanager
def two_servers(db_url: str, tmp_path: Path, *extra: str) -> Iterator[tuple[Api, Api, LiveServer]]:
    one = LiveServer(db_url, tmp_path, "--heartbeat", "5", *extra, name="one").start()
    two = LiveServer(db_url, tmp_path, "--heartbeat", "5", *extra, name="two").start()
    try:
        token = admin_token(make_config(db_url, tmp_path))
        with (
            httpx.Client(base_url=one.url, timeout=20) as c1,
            httpx.Client(base_url=two.url, timeout=20) as c2,
        ):
            yield Api(c1, token), Api(c2, token), one
    finally:
        one.stop()
        two.stop()


@pytest.fixture
def pg_url(pg_cluster: PgCluster) -> str:
    return pg_cluster.new_database()


# ---------------------------------------------------------------------------- migrations


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_processes_migrating_a_fresh_database_together_do_not_race(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    for round_no in range(3):
        if backend == "sqlite":
            url = f"sqlite:///{tmp_path / f'fresh{round_no}.sqlite3'}"
        else:
            cluster: PgCluster = request.getfixturevalue("pg_cluster")
            url = fresh_database(cluster, f"fresh_{os.getpid()}_{round_no}")
        barrier = threading.Barrier(4)
        errors: list[BaseException] = []

        def migrate(
            url: str = url,
            barrier: threading.Barrier = barrier,
            errors: list[BaseException] = errors,
        ) -> None:
            engine = db_mod.make_engine(url, pool_size=1)
            try:
                barrier.wait()
                db_mod.upgrade(engine)
            except BaseException as exc:
                errors.append(exc)
            finally:
                engine.dispose()

        threads = [threading.Thread(target=migrate) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        engine = db_mod.make_engine(url, pool_size=1)
        try:
            with engine.connect() as conn:
                versions = conn.execute(text("SELECT version_num FROM alembic_version")).all()
        finally:
            engine.dispose()
        assert len(versions) == 1


# -------------------------------------------------------------------------------- the key


def test_an_instance_with_another_key_refuses_to_start(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = LiveServer(pg_url, tmp_path / "a", name="first")
    (tmp_path / "a").mkdir()
    first.start()
    try:
        with httpx.Client(base_url=first.url, timeout=10) as c:
            Api(c, admin_token(make_config(pg_url, tmp_path / "a"))).account()
    finally:
        first.stop()

    other = tmp_path / "b"
    other.mkdir()
    args = [
        sys.executable,
        "-m",
        "communicator.provisioning.server.cli",
        "serve",
        "--port",
        "0",
        "--db",
        pg_url,
        "--data-dir",
        str(other / "data"),
    ]
    env = {k: v for k, v in os.environ.items() if k != "COMMUNICATOR_SERVER_KEY"}
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run(
        args, check=False, capture_output=True, text=True, timeout=60, env=env, cwd=ROOT
    )
    assert done.returncode != 0
    assert "server key" in done.stderr and "COMMUNICATOR_SERVER_KEY" in done.stderr
    assert "Traceback" not in done.stderr

    # With the first instance's key (copied, or in the environment) it starts.
    key = (tmp_path / "a" / "data" / "server.key").read_text().strip()
    monkeypatch.setenv("COMMUNICATOR_SERVER_KEY", key)
    second = LiveServer(pg_url, other, name="second").start()
    second.stop()


# ---------------------------------------------------------------------------- extensions


def test_concurrent_account_creation_on_two_processes_never_conflicts(
    db_url: str, tmp_path: Path
) -> None:
    """On PostgreSQL and on SQLite (two processes on one file)."""
    with two_servers(db_url, tmp_path) as (api1, api2, _one):

        def create(n: int) -> httpx.Response:
            api = (api1, api2)[n % 2]
            body = {"sip_username": f"c{n}", "sip_password": "pw", "sip_server": "127.0.0.1"}
            return api.c.post("/api/v1/admin/accounts", json=body, headers=api.h)

        with ThreadPoolExecutor(16) as pool:
            answers = list(pool.map(create, range(40)))
        assert [r.status_code for r in answers] == [201] * 40, [r.text for r in answers[:3]]
        extensions = [r.json()["extension"] for r in answers]
        assert len(set(extensions)) == 40


# ------------------------------------------------------------------------------- LISTEN


def test_changes_made_while_the_listen_connection_was_down_arrive(
    pg_cluster: PgCluster, pg_url: str, tmp_path: Path
) -> None:
    with two_servers(pg_url, tmp_path) as (api1, api2, one):
        assert one.proc is not None
        agent = api1.agent("ana")
        acc = api1.account(agent["id"])
        other = api1.agent("ben")
        api1.account(other["id"])
        token = api1.sign_in("ana")["token"]
        ben = api1.sign_in("ben")["token"]
        before = api1.ok(api1.c.get("/api/v1/profile", headers=api1.bearer(token)))
        api1.ok(api1.c.get("/api/v1/profile", headers=api1.bearer(ben)))  # cached on one
        stream = EventStream(f"{one.url}/api/v1/profile/events", ben)
        stream.next("profile")

        wait_until(lambda: len(listeners(pg_cluster, one.proc.pid)) == 1)  # type: ignore[union-attr]
        old = listeners(pg_cluster, one.proc.pid)
        psql(pg_cluster, f"SELECT pg_terminate_backend({old[0]})")
        # While instance one cannot hear: a profile change and a password change on two.
        api2.ok(
            api2.c.patch(
                f"/api/v1/admin/accounts/{acc['id']}", json={"caller_id": "Desk"}, headers=api2.h
            )
        )
        api2.ok(
            api2.c.patch(
                f"/api/v1/admin/agents/{other['id']}", json={"password": "new one!"}, headers=api2.h
            )
        )
        wait_until(
            lambda: (now := listeners(pg_cluster, one.proc.pid)) != [] and now != old  # type: ignore[union-attr]
        )
        after = api1.ok(api1.c.get("/api/v1/profile", headers=api1.bearer(token)))
        assert before["sip"]["caller_id"] is None and after["sip"]["caller_id"] == "Desk"
        assert api1.c.get("/api/v1/profile", headers=api1.bearer(ben)).status_code == 401
        try:
            stream.next("revoked")  # ben's stream on one ends too
        finally:
            stream.close()


# --------------------------------------------------------------- two processes, one pool


def test_two_processes_share_push_revocation_and_the_pool(pg_url: str, tmp_path: Path) -> None:
    with two_servers(pg_url, tmp_path) as (api1, api2, one):
        acc = api1.account()
        api1.agent("cai")
        api1.agent("dee")
        cai = api1.sign_in("cai")
        assert cai["pooled"]
        # The pool is one: dee cannot have the number on the other process...
        taken = api2.c.post("/api/v1/sessions", json={"login": "dee", "password": "correct horse"})
        assert taken.status_code == 409
        # ...a change made on two is pushed to cai's stream on one...
        stream = EventStream(f"{one.url}/api/v1/profile/events", cai["token"])
        try:
            first, _ = stream.next("profile")
            api2.ok(
                api2.c.patch(
                    f"/api/v1/admin/accounts/{acc['id']}", json={"max_lines": 3}, headers=api2.h
                )
            )
            changed, _ = stream.next("profile")
            assert json.loads(changed)["etag"] != json.loads(first)["etag"]
            # ...an admin's release on two revokes nothing but frees the number...
            api2.ok(api2.c.post(f"/api/v1/admin/accounts/{acc['id']}/release", headers=api2.h))
            assert api2.sign_in("dee")["extension"] == str(acc["extension"])
            # ...and signing cai out on two ends its stream and token on one.
            api2.c.delete("/api/v1/sessions/current", headers=api2.bearer(cai["token"]))
            stream.next("revoked")
        finally:
            stream.close()
        assert api1.c.get("/api/v1/profile", headers=api1.bearer(cai["token"])).status_code == 401


def test_sign_in_limits_hold_across_processes(pg_url: str, tmp_path: Path) -> None:
    extra = ("--signin-burst-per-agent", "4", "--signin-rate-per-agent", "0.001")
    with two_servers(pg_url, tmp_path, *extra) as (api1, api2, _one):
        api1.agent("eve")
        codes, answers = [], []
        for n in range(6):
            api = (api1, api2)[n % 2]
            resp = api.c.post("/api/v1/sessions", json={"login": "eve", "password": "wrong"})
            codes.append(resp.status_code)
            answers.append(resp.text[:200])
        # Four guesses in all, not four per process: the fifth and sixth are refused.
        assert codes == [401, 401, 401, 401, 429, 429], answers


# ---------------------------------------------------------------------- serve --workers


def worker_pids(pid: int) -> list[int]:
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            children.append(int(entry.name))
    return children


def test_serve_workers_runs_several_processes(pg_url: str, tmp_path: Path) -> None:
    server = LiveServer(pg_url, tmp_path, "--heartbeat", "5", "--workers", "2").start()
    workers: list[int] = []
    try:
        assert server.proc is not None
        pid = server.proc.pid
        wait_until(lambda: len(worker_pids(pid)) >= 2)
        workers = worker_pids(pid)
        token = admin_token(make_config(pg_url, tmp_path))
        with httpx.Client(base_url=server.url, timeout=20) as c:
            api = Api(c, token)
            agent = api.agent("fay")
            acc = api.account(agent["id"])
            fay = api.sign_in("fay")["token"]
            stream = EventStream(f"{server.url}/api/v1/profile/events", fay)
            try:
                stream.next("profile")
                for n in range(6):  # new connections: some land on the other worker
                    with httpx.Client(base_url=server.url, timeout=20) as other:
                        Api(other, token).ok(
                            other.patch(
                                f"/api/v1/admin/accounts/{acc['id']}",
                                json={"caller_id": f"C{n}"},
                                headers=api.h,
                            )
                        )
                    stream.next("profile")
            finally:
                stream.close()
    finally:
        server.stop()
    # Stopping the server stops its workers.
    wait_until(lambda: not any(Path(f"/proc/{w}").exists() for w in workers))


def test_the_cli_with_another_key_writes_no_passwords(
    db_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """SQLite and PostgreSQL: commands that store or read SIP passwords refuse a key that
    cannot read the stored ones; admin tokens and lists need no key."""
    from communicator.provisioning.server.cli import main

    monkeypatch.delenv("COMMUNICATOR_SERVER_KEY", raising=False)
    monkeypatch.setenv("SIP_PW", "secret")
    first = ["--db", db_url, "--data-dir", str(tmp_path / "first")]
    other = ["--db", db_url, "--data-dir", str(tmp_path / "other")]
    add = ["accounts", "add", "--server", "127.0.0.1", "--password-env", "SIP_PW"]
    assert main([*add, "one", *first]) == 0
    capsys.readouterr()
    assert main([*add, "two", *other]) == 2
    assert "server key" in capsys.readouterr().err
    assert main(["export", "kamailio", *other]) == 2
    assert main(["admin", "create", *other]) == 0
    assert main(["accounts", "list", *other]) == 0
    listed = capsys.readouterr().out
    assert "one" in listed and "two" not in listed
