"""Fixtures for the provisioning server: SQLite and a real local PostgreSQL cluster,
the app in-process, and the server as a real process."""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from communicator.provisioning.server import db as db_mod
from communicator.provisioning.server.api import create_app
from communicator.provisioning.server.config import ServerConfig
from communicator.provisioning.server.services import sessions

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def listener_owned_by(port: int, pid: int) -> bool | None:
    """Whether the socket listening on 127.0.0.1/any:``port`` is one of ``pid``'s descriptors
    (None: nothing listens there yet)."""
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(fields[9])
    if not inodes:
        return None
    try:
        fds = list(Path(f"/proc/{pid}/fd").iterdir())
    except OSError:
        return False
    for fd in fds:
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:[") and target[8:-1] in inodes:
            return True
    return False


def _pg_bin() -> Path | None:
    for cand in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if Path(cand, "initdb").exists():
            return Path(cand)
    found = shutil.which("initdb")
    return Path(found).parent if found else None


@dataclass
class PgCluster:
    port: int
    template: str = "communicator_tmpl"
    counter: Iterator[int] = field(default_factory=itertools.count)

    def url(self, dbname: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{dbname}"

    def new_database(self) -> str:
        import psycopg

        name = f"t{os.getpid()}_{next(self.counter)}"
        with psycopg.connect(
            f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres", autocommit=True
        ) as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        return self.url(name)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    bindir = _pg_bin()
    if bindir is None:
        pytest.skip(
            "PostgreSQL server binaries (initdb, pg_ctl) are not installed; "
            "`make test` installs the Debian package postgresql"
        )
    base = Path(tempfile.mkdtemp(prefix="communicator-pg-"))
    data = base / "data"
    port = free_port()
    run_as: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(base, "postgres", "postgres")
        run_as = ["runuser", "-u", "postgres", "--"]
    subprocess.run(
        [
            *run_as,
            str(bindir / "initdb"),
            "-D",
            str(data),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-sync",
        ],
        check=True,
        capture_output=True,
    )
    opts = (
        f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off "
        "-c synchronous_commit=off -c full_page_writes=off -c max_connections=300"
    )
    subprocess.run(
        [
            *run_as,
            str(bindir / "pg_ctl"),
            "-D",
            str(data),
            "-o",
            opts,
            "-l",
            str(base / "log"),
            "-w",
            "start",
        ],
        check=True,
        capture_output=True,
    )
    cluster = PgCluster(port)
    try:
        import psycopg

        with psycopg.connect(
            f"host=127.0.0.1 port={port} user=postgres dbname=postgres", autocommit=True
        ) as conn:
            conn.execute(f'CREATE DATABASE "{cluster.template}"')
        engine = db_mod.make_engine(cluster.url(cluster.template))
        db_mod.upgrade(engine)
        engine.dispose()
        yield cluster
    finally:
        subprocess.run(
            [*run_as, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            check=False,
            capture_output=True,
        )
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.sqlite3"
    engine = db_mod.make_engine(f"sqlite:///{path}")
    db_mod.upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    if request.param == "sqlite":
        target = tmp_path / "server.sqlite3"
        shutil.copy(sqlite_template, target)
        return f"sqlite:///{target}"
    cluster: PgCluster = request.getfixturevalue("pg_cluster")
    return cluster.new_database()


def make_config(db_url: str, tmp_path: Path, **overrides: Any) -> ServerConfig:
    return ServerConfig.create(
        db=db_url, data_dir=tmp_path / "data", recordings_dir=tmp_path / "recordings", **overrides
    )


def admin_token(cfg: ServerConfig) -> str:
    engine = db_mod.make_engine(cfg.db_url, pool_size=1)
    try:
        with db_mod.make_sessionmaker(engine)() as s:
            token = sessions.create_admin_token(s, "tests")
            s.commit()
            return token
    finally:
        engine.dispose()


class Api:
    """Thin helpers over an httpx-compatible client (TestClient or httpx.Client)."""

    def __init__(self, client: httpx.Client, admin: str) -> None:
        self.c = client
        self.admin_token = admin
        self.h = {"Authorization": f"Bearer {admin}"}
        self._n = itertools.count(1)

    def ok(self, resp: httpx.Response, status: int = 200) -> Any:
        assert resp.status_code == status, (resp.status_code, resp.text)
        return resp.json() if resp.content else None

    def group(self, name: str, **kw: Any) -> dict[str, Any]:
        return self.ok(
            self.c.post("/api/v1/admin/groups", json={"name": name, **kw}, headers=self.h), 201
        )

    def agent(self, login: str, password: str = "correct horse", **kw: Any) -> dict[str, Any]:
        body = {"login": login, "password": password, "display_name": login.title(), **kw}
        return self.ok(self.c.post("/api/v1/admin/agents", json=body, headers=self.h), 201)

    def account(self, agent_id: int | None = None, **kw: Any) -> dict[str, Any]:
        n = next(self._n)
        body: dict[str, Any] = {
            "sip_username": f"sip{n}-{os.getpid()}",
            "sip_password": f"pw-{n}-secret",
            "sip_server": "127.0.0.1",
            **kw,
        }
        if agent_id is not None:
            body["agent_id"] = agent_id
        return self.ok(self.c.post("/api/v1/admin/accounts", json=body, headers=self.h), 201)

    def sign_in(self, login: str, password: str = "correct horse") -> dict[str, Any]:
        resp = self.c.post("/api/v1/sessions", json={"login": login, "password": password})
        return self.ok(resp, 201)

    def bearer(self, token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def config(db_url: str, tmp_path: Path) -> ServerConfig:
    return make_config(db_url, tmp_path)


@pytest.fixture
def api(config: ServerConfig) -> Iterator[Api]:
    app = create_app(config, migrate=False)
    with TestClient(app) as client:
        yield Api(client, admin_token(config))


class LiveServer:
    def __init__(
        self,
        db_url: str,
        tmp_path: Path,
        *extra: str,
        name: str = "server",
        verify: ssl.SSLContext | None = None,
        port: int | None = None,
    ) -> None:
        self.port = port if port is not None else free_port()
        self.verify: ssl.SSLContext | bool = verify if verify is not None else True
        self.url = f"{'https' if verify else 'http'}://127.0.0.1:{self.port}"
        self.data_dir = tmp_path / "data"
        self.log = tmp_path / f"{name}-{self.port}.log"
        self.args = [
            sys.executable,
            "-m",
            "communicator.provisioning.server.cli",
            "serve",
            "--port",
            str(self.port),
            "--db",
            db_url,
            "--data-dir",
            str(self.data_dir),
            "--recordings-dir",
            str(tmp_path / "recordings"),
            *extra,
        ]
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30.0) -> LiveServer:
        """Starts the server and waits until *this* process answers on its port.

        The port was free when picked, not when the server binds it: meanwhile another
        process (another test session's server, an outgoing connection) may take it. A
        foreign server answering /healthz there is not taken for ours (the listening socket
        must be one of our process's descriptors), and a port lost so is picked again.
        """
        for _attempt in range(5):
            if self._start_once(timeout):
                return self
            self.stop()
            self._move_to(free_port())
        raise RuntimeError(f"server could not get a port: {self.log.read_text()}")

    def _move_to(self, port: int) -> None:
        i = self.args.index("--port")
        self.args[i + 1] = str(port)
        self.url = self.url.replace(f":{self.port}", f":{port}")
        self.port = port

    def _start_once(self, timeout: float) -> bool:
        """True when ready; False when the port turned out to be taken by someone else."""
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(
                self.args, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=ROOT
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                if "address already in use" in self.log.read_text().lower():
                    return False
                raise RuntimeError(f"server exited: {self.log.read_text()}")
            try:
                ok = httpx.get(f"{self.url}/healthz", timeout=1.0, verify=self.verify)
                # (A foreign listener: ours exits, failing to bind, and the port is changed.)
                if ok.status_code == 200 and listener_owned_by(self.port, self.proc.pid):
                    return True
            except httpx.TransportError:
                pass
            time.sleep(0.05)  # polling readiness of a separate process
        raise RuntimeError(f"server not ready in {timeout}s: {self.log.read_text()}")

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        self.proc = None


@pytest.fixture
def live(db_url: str, tmp_path: Path) -> Iterator[tuple[LiveServer, Api]]:
    server = LiveServer(db_url, tmp_path, "--heartbeat", "0.5").start()
    try:
        cfg = make_config(db_url, tmp_path)
        with httpx.Client(base_url=server.url, timeout=10.0) as client:
            yield server, Api(client, admin_token(cfg))
    finally:
        server.stop()
