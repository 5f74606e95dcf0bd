"""The server as a real process: server-sent events, several instances, and the CLI."""

from __future__ import annotations

import io
import json
import queue
import ssl
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from communicator.provisioning.server.cli import main

from .conftest import Api, LiveServer, admin_token, make_config

EVENT_TIMEOUT = 10.0


class EventStream:
    """Reads an SSE stream in a thread; events and comments land in a queue."""

    def __init__(self, url: str, token: str, last_event_id: str | None = None) -> None:
        self.items: queue.Queue[tuple[str, str, str]] = queue.Queue()
        headers = {"Authorization": f"Bearer {token}", "Accept": "text/event-stream"}
        if last_event_id is not None:
            headers["Last-Event-ID"] = last_event_id
        self._client = httpx.Client(timeout=httpx.Timeout(30.0, read=60.0))
        self._cm = self._client.stream("GET", url, headers=headers)
        self.response = self._cm.__enter__()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        event, data, ident = "message", "", ""
        try:
            for line in self.response.iter_lines():
                if line.startswith(":"):
                    self.items.put(("comment", line[1:].strip(), ""))
                elif line.startswith("event:"):
                    event = line[6:].strip()
                elif line.startswith("data:"):
                    data = line[5:].strip()
                elif line.startswith("id:"):
                    ident = line[3:].strip()
                elif line == "" and data:
                    self.items.put((event, data, ident))
                    event, data, ident = "message", "", ""
        except httpx.HTTPError:
            pass
        self.items.put(("closed", "", ""))

    def next(self, kind: str, timeout: float = EVENT_TIMEOUT) -> tuple[str, str]:
        while True:
            got, data, ident = self.items.get(timeout=timeout)
            if got == kind:
                return data, ident
            if got == "closed":
                raise AssertionError(f"stream closed while waiting for {kind}")

    def close(self) -> None:
        self._cm.__exit__(None, None, None)
        self._client.close()


@pytest.fixture
def stream_factory() -> Iterator[list[EventStream]]:
    streams: list[EventStream] = []
    yield streams
    for s in streams:
        s.close()


def _agent(api: Api, login: str) -> tuple[dict, dict, str]:
    agent = api.agent(login)
    acc = api.account(agent["id"])
    return agent, acc, api.sign_in(login)["token"]


def test_admin_change_is_pushed_on_the_event_stream(
    live: tuple[LiveServer, Api], stream_factory: list[EventStream]
) -> None:
    server, api = live
    _, acc, token = _agent(api, "anna")
    etag = api.c.get("/api/v1/profile", headers=api.bearer(token)).headers["etag"].strip('"')
    stream = EventStream(f"{server.url}/api/v1/profile/events", token)
    stream_factory.append(stream)
    assert stream.response.status_code == 200
    assert stream.response.headers["content-type"].startswith("text/event-stream")
    data, ident = stream.next("profile")
    assert json.loads(data) == {"etag": etag} and ident == etag

    api.ok(
        api.c.patch(f"/api/v1/admin/accounts/{acc['id']}", json={"caller_id": "A"}, headers=api.h)
    )
    data, ident = stream.next("profile")
    new = json.loads(data)["etag"]
    assert new != etag and ident == new
    fetched = api.c.get("/api/v1/profile", headers=api.bearer(token))
    assert fetched.headers["etag"] == f'"{new}"'

    # A group change reaches members too; a heartbeat comment keeps the stream alive.
    group = api.group("night")
    api.ok(api.c.patch("/api/v1/admin/agents/1", json={"group_id": group["id"]}, headers=api.h))
    data, _ = stream.next("profile")
    assert json.loads(data)["etag"] != new
    stream.next("comment")

    # Signing out ends the stream with a 'revoked' event.
    api.c.delete("/api/v1/sessions/current", headers=api.bearer(token))
    stream.next("revoked")


def test_last_event_id_skips_the_initial_event_when_nothing_changed(
    live: tuple[LiveServer, Api], stream_factory: list[EventStream]
) -> None:
    server, api = live
    _, acc, token = _agent(api, "bea")
    etag = api.c.get("/api/v1/profile", headers=api.bearer(token)).headers["etag"].strip('"')
    stream = EventStream(f"{server.url}/api/v1/profile/events", token, last_event_id=etag)
    stream_factory.append(stream)
    stream.next("comment")  # heartbeat first: no profile event for an unchanged profile
    assert stream.items.qsize() == 0 or stream.items.queue[0][0] != "profile"
    api.ok(api.c.patch(f"/api/v1/admin/accounts/{acc['id']}", json={"max_lines": 4}, headers=api.h))
    data, _ = stream.next("profile")
    assert json.loads(data)["etag"] != etag


def test_changes_reach_streams_on_another_instance(
    db_url: str, tmp_path: Path, stream_factory: list[EventStream]
) -> None:
    """Two stateless instances on one database: PostgreSQL NOTIFY / SQLite change table."""
    one = LiveServer(db_url, tmp_path, "--heartbeat", "5", name="one").start()
    two = LiveServer(db_url, tmp_path, "--heartbeat", "5", name="two").start()
    try:
        cfg = make_config(db_url, tmp_path)
        with (
            httpx.Client(base_url=one.url, timeout=10) as c1,
            httpx.Client(base_url=two.url, timeout=10) as c2,
        ):
            token = admin_token(cfg)
            api1, api2 = Api(c1, token), Api(c2, token)
            _, acc, agent_token = _agent(api1, "cleo")
            stream = EventStream(f"{one.url}/api/v1/profile/events", agent_token)
            stream_factory.append(stream)
            first, _ = stream.next("profile")
            # Cache warm on instance one; the change is made through instance two.
            api1.c.get("/api/v1/profile", headers=api1.bearer(agent_token))
            api2.ok(
                c2.patch(
                    f"/api/v1/admin/accounts/{acc['id']}", json={"sip_port": 5070}, headers=api2.h
                )
            )
            data, _ = stream.next("profile")
            assert json.loads(data)["etag"] != json.loads(first)["etag"]
            profile = c1.get("/api/v1/profile", headers=api1.bearer(agent_token)).json()
            assert profile["sip"]["port"] == 5070
            # Sign-out on instance two revokes the token on instance one as well.
            c2.delete("/api/v1/sessions/current", headers=api2.bearer(agent_token))
            stream.next("revoked")
            assert c1.get("/api/v1/profile", headers=api1.bearer(agent_token)).status_code == 401
    finally:
        one.stop()
        two.stop()


@pytest.fixture
def cli(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Callable[..., str]:
    """Runs ``communicator-server`` in-process (its ``main``) and returns what it printed."""

    def run(*args: str, stdin: str | None = None) -> str:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin or ""))
        capsys.readouterr()
        code = main([*args, "--db", db_url, "--data-dir", str(tmp_path / "data")])
        out, err = capsys.readouterr()
        assert code == 0, err
        return out

    return run


def test_cli_commands(cli: Callable[..., str], tmp_path: Path) -> None:
    token = cli("admin", "create").strip()
    assert token.startswith("adm_")
    cli("groups", "add", "Managers", "--extension", "250", "--email", "m@x.org")
    cli(
        "agents",
        "add",
        "mary",
        "--name",
        "Mary",
        "--group",
        "Managers",
        stdin="password-1\n",
    )
    listing = cli("agents", "list")
    assert "mary" in listing and "Managers" in listing
    out = cli(
        "accounts",
        "add",
        "mary-sip",
        "--server",
        "127.0.0.1",
        "--agent",
        "mary",
        "--phone-number",
        "+48 22 555",
        stdin="s3cr:et\n",
    )
    assert "extension 100" in out
    cli("accounts", "add", "pool-1", "--server", "127.0.0.1", stdin="x\n")
    rows = cli("accounts", "list")
    assert "Mary" in rows and "Managers" in rows and "+48 22 555" in rows and "(pool)" in rows

    csv_path = tmp_path / "accounts.csv"
    csv_path.write_text(
        "sip_username,sip_password,sip_server,extension,agent,codecs\n"
        "imp-1,pw1,10.0.0.1,300,,alaw ulaw\n"
        "imp-2,pw2,10.0.0.1,,mary2,\n".replace("mary2", ""),
        encoding="utf-8",
    )
    assert "created 2" in cli("import", str(csv_path))
    kam = cli("export", "kamailio")
    assert kam.splitlines()[0] == (
        "id(int,auto) username(string) domain(string) password(string) ha1(string,null) "
        "ha1b(string,null)"
    )
    assert "mary-sip:127.0.0.1:s3cr\\:et:" in kam
    sql = cli("export", "kamailio", "--sql")
    assert "INSERT INTO subscriber (username, domain, password, ha1, ha1b)" in sql
    ast = cli("export", "asterisk")
    assert "[imp-1]\ntype=endpoint" in ast and "allow=alaw,ulaw" in ast
    deleted = cli("accounts", "delete", "1")
    assert "deleted 1" in deleted
    report = cli(
        "report",
        "--from",
        "2026-01-01",
        "--to",
        "2027-01-01",
        "--agent",
        "mary",
        "--csv",
    )
    assert report.startswith("id,agent,agent_login")


def test_concurrent_sign_ins_never_share_a_pool_account(live: tuple[LiveServer, Api]) -> None:
    server, api = live
    pool = {api.account()["extension"] for _ in range(3)}
    logins = [f"crowd{i}" for i in range(6)]
    for login in logins:
        api.agent(login)

    def sign_in(login: str) -> tuple[int, dict]:
        with httpx.Client(base_url=server.url, timeout=30) as c:
            r = c.post("/api/v1/sessions", json={"login": login, "password": "correct horse"})
            return r.status_code, r.json()

    with ThreadPoolExecutor(len(logins)) as ex:
        results = list(ex.map(sign_in, logins))
    won = [body for status, body in results if status == 201]
    lost = [body for status, body in results if status != 201]
    assert len(won) == 3 and {int(b["extension"]) for b in won} == pool
    assert all(b["error"] == "no_free_number" for b in lost), lost
    assert all(b["message"] == "No free number, or the number is invalid" for b in lost)


def _self_signed(directory: Path) -> tuple[Path, Path]:
    import datetime as dt
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def test_serves_https(tmp_path: Path) -> None:
    cert, key = _self_signed(tmp_path)
    db = f"sqlite:///{tmp_path / 'tls.sqlite3'}"
    ctx = ssl.create_default_context(cafile=str(cert))
    server = LiveServer(
        db, tmp_path, "--ssl-certfile", str(cert), "--ssl-keyfile", str(key), verify=ctx
    ).start()
    try:
        with httpx.Client(base_url=server.url, verify=ctx, timeout=10) as c:
            api = Api(c, admin_token(make_config(db, tmp_path)))
            agent = api.agent("tls")
            api.account(agent["id"])
            token = api.sign_in("tls")["token"]
            assert c.get("/api/v1/profile", headers=api.bearer(token)).status_code == 200
    finally:
        server.stop()
