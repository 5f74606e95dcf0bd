"""Kamailio as the rig's SIP registrar and proxy, on loopback, with digest auth.

:class:`KamailioServer` writes its own ``kamailio.cfg``, a db_text ``subscriber`` table and a
self-signed TLS certificate into a run directory, listens on 127.0.0.1 with UDP, TCP and TLS on
free ports, and serves the SIP domain ``sip.test.invalid``. Clients reach the domain through the
outbound proxy :meth:`KamailioServer.proxy_uri`. It can be stopped and restarted on the same
ports (to simulate a lost SIP server).
"""

from __future__ import annotations

import hashlib
import ipaddress
import os
import secrets
import shutil
import socket
import ssl
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from tests.rig.kamailio_cfg import (
    CFG_TEMPLATE,
    STATIC_DIRECTORY,
    TLS_CFG_TEMPLATE,
    generate_certificate,
)

__all__ = ["DEFAULT_DOMAIN", "KamailioServer", "SipAccount", "generate_certificate"]
from tests.rig.ports import LOOPBACK, free_ports, release_ports
from tests.rig.process import ManagedProcess, ProcessError

DEFAULT_DOMAIN = "sip.test.invalid"
MODULE_DIRS = (
    "/usr/lib/x86_64-linux-gnu/kamailio/modules",
    "/usr/lib/aarch64-linux-gnu/kamailio/modules",
    "/usr/lib/kamailio/modules",
    "/usr/lib64/kamailio/modules",
    "/usr/local/lib64/kamailio/modules",
    "/usr/local/lib/kamailio/modules",
)
SUBSCRIBER_HEADER = (
    "id(int,auto) username(string) domain(string) password(string) "
    "ha1(string,null) ha1b(string,null)"
)
TRANSPORTS = ("udp", "tcp", "tls")


@dataclass(frozen=True)
class SipAccount:
    """One subscriber of the rig's registrar. ``password`` is '' for an ha1-only row."""

    username: str
    password: str
    domain: str = DEFAULT_DOMAIN

    @property
    def aor(self) -> str:
        return f"sip:{self.username}@{self.domain}"

    def __repr__(self) -> str:  # passwords stay out of test reports
        return f"SipAccount(username={self.username!r}, domain={self.domain!r})"


# -- db_text ---------------------------------------------------------------------------------------


def _db_escape(value: str) -> str:
    out = value.replace("\\", "\\\\").replace(":", "\\:")
    return out.replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")


def _db_split(line: str) -> list[str]:
    """Split one db_text row on unescaped ':' and undo the escapes."""
    fields: list[str] = []
    cur: list[str] = []
    escapes = {"n": "\n", "r": "\r", "t": "\t", "0": "\0"}
    i = 0
    while i < len(line):
        ch = line[i]
        if ch == "\\" and i + 1 < len(line):
            nxt = line[i + 1]
            cur.append(escapes.get(nxt, nxt))
            i += 2
            continue
        if ch == ":":
            fields.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
        i += 1
    fields.append("".join(cur))
    return fields


def ha1(username: str, realm: str, password: str) -> str:
    return hashlib.md5(f"{username}:{realm}:{password}".encode()).hexdigest()


def ha1b(username: str, domain: str, realm: str, password: str) -> str:
    return hashlib.md5(f"{username}@{domain}:{realm}:{password}".encode()).hexdigest()


@dataclass(frozen=True)
class SubscriberRow:
    username: str
    domain: str
    password: str
    ha1: str
    ha1b: str = ""


def write_subscriber_rows(path: Path, rows: Iterable[SubscriberRow]) -> None:
    """Write a db_text ``subscriber`` table in the column layout Kamailio's auth_db expects.

    ``password`` is declared nullable only when some row has none (an ha1-only table): db_text
    refuses to load a table with an empty value in a non-null column, and does so only at the
    first query, where every REGISTER then fails with 401.
    """
    rows = list(rows)
    header = SUBSCRIBER_HEADER
    if any(not r.password for r in rows):
        header = header.replace("password(string)", "password(string,null)")
    lines = [header]
    for n, r in enumerate(rows, start=1):
        values = [str(n), r.username, r.domain, r.password, r.ha1, r.ha1b]
        lines.append(":".join(_db_escape(v) for v in values))
    path.write_text("\n".join(lines) + "\n")


def write_subscriber_file(path: Path, accounts: Iterable[SipAccount]) -> None:
    """Write a db_text ``subscriber`` table (password plus ha1/ha1b) for ``accounts``."""
    write_subscriber_rows(
        path,
        (
            SubscriberRow(
                acc.username,
                acc.domain,
                acc.password,
                ha1(acc.username, acc.domain, acc.password),
                ha1b(acc.username, acc.domain, acc.domain, acc.password),
            )
            for acc in accounts
        ),
    )


def read_subscriber_file(path: Path) -> list[SubscriberRow]:
    """Read a db_text ``subscriber`` table (columns are found by name in its header line)."""
    lines = [ln for ln in path.read_text().splitlines() if ln.strip()]
    if not lines:
        raise ValueError(f"{path}: empty subscriber table")
    names = [col.split("(", 1)[0] for col in lines[0].split()]
    for required in ("username", "domain"):
        if required not in names:
            raise ValueError(f"{path}: subscriber table has no {required!r} column")
    if "password" not in names and "ha1" not in names:
        raise ValueError(f"{path}: subscriber table has neither 'password' nor 'ha1'")
    rows: list[SubscriberRow] = []
    for ln in lines[1:]:
        values = dict(zip(names, _db_split(ln), strict=False))
        rows.append(
            SubscriberRow(
                username=values.get("username", ""),
                domain=values.get("domain", ""),
                password=values.get("password", ""),
                ha1=values.get("ha1", ""),
                ha1b=values.get("ha1b", ""),
            )
        )
    return rows


# -- SIP OPTIONS probe ---------------------------------------------------------------------------


def _options_request(
    host: str, port: int, transport: str, local: tuple[str, int]
) -> tuple[bytes, str]:
    call_id = secrets.token_hex(8)
    via_proto = transport.upper()
    request = (
        f"OPTIONS sip:{host}:{port}{'' if transport == 'udp' else ';transport=' + transport}"
        " SIP/2.0\r\n"
        f"Via: SIP/2.0/{via_proto} {local[0]}:{local[1]}"
        f";branch=z9hG4bK{secrets.token_hex(8)};rport\r\n"
        "Max-Forwards: 70\r\n"
        f"From: <sip:rig-probe@{DEFAULT_DOMAIN}>;tag={secrets.token_hex(4)}\r\n"
        f"To: <sip:{host}:{port}>\r\n"
        f"Call-ID: {call_id}@{LOOPBACK}\r\n"
        "CSeq: 1 OPTIONS\r\n"
        "Accept: application/sdp\r\n"
        "Content-Length: 0\r\n\r\n"
    ).encode()
    return request, call_id


def _status_code(text: str, call_id: str) -> int | None:
    if call_id not in text or not text.startswith("SIP/2.0 "):
        return None
    return int(text[8:11])


def sip_options_ping(
    host: str,
    port: int,
    *,
    transport: str = "udp",
    timeout: float = 0.5,
    retransmit: float = 0.1,
    ca_file: Path | None = None,
) -> int:
    """Send a SIP OPTIONS to ``host:port`` over UDP, TCP or TLS; return the final status code.

    Over TLS the server certificate is verified against ``ca_file`` when one is given.
    Raises ``TimeoutError`` (or ``OSError``) if nothing answers before the deadline.
    """
    if transport == "udp":
        return _options_udp(host, port, timeout, retransmit)
    deadline = time.monotonic() + timeout
    with socket.create_connection((host, port), timeout=timeout) as raw:
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock: socket.socket = raw
        if transport == "tls":
            ctx = ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
            ctx.minimum_version = ssl.TLSVersion.TLSv1_2
            if ca_file is None:
                ctx.check_hostname = False
                ctx.verify_mode = ssl.CERT_NONE
            sock = ctx.wrap_socket(raw, server_hostname=host)
        elif transport != "tcp":
            raise ValueError(f"unknown transport {transport!r}")
        request, call_id = _options_request(host, port, transport, sock.getsockname()[:2])
        sock.sendall(request)
        buf = b""
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no answer to OPTIONS over {transport} from {host}:{port}")
            sock.settimeout(remaining)
            chunk = sock.recv(65535)
            if not chunk:
                raise ConnectionError(f"{host}:{port} closed the {transport} connection")
            buf += chunk
            while b"\r\n\r\n" in buf:
                head, _, buf = buf.partition(b"\r\n\r\n")
                code = _status_code(head.decode(errors="replace"), call_id)
                if code is not None and code >= 200:
                    return code


def _options_udp(host: str, port: int, timeout: float, retransmit: float) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((LOOPBACK, 0))
        request, call_id = _options_request(host, port, "udp", sock.getsockname()[:2])
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no answer to OPTIONS from {host}:{port}")
            try:
                sock.sendto(request, (host, port))
                sock.settimeout(min(retransmit, remaining))
                while True:
                    data, _ = sock.recvfrom(65535)
                    code = _status_code(data.decode(errors="replace"), call_id)
                    if code is not None and code >= 200:
                        return code
            except TimeoutError:
                continue
            except ConnectionRefusedError:
                # ICMP port unreachable: nothing listens yet; back off before sending again.
                time.sleep(min(retransmit, max(0.0, deadline - time.monotonic())))


# -- configuration ------------------------------------------------------------------------------


def find_module_dir() -> str | None:
    for d in MODULE_DIRS:
        if Path(d, "tls.so").exists() and Path(d, "registrar.so").exists():
            return d
    return None


def kamailio_binary() -> str | None:
    return shutil.which("kamailio") or next(
        (p for p in ("/usr/sbin/kamailio", "/usr/local/sbin/kamailio") if os.path.exists(p)),
        None,
    )


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


class KamailioServer:
    """A Kamailio registrar/proxy on 127.0.0.1 (UDP, TCP, TLS) for SIP domain ``domain``.

    Accounts come from ``accounts`` (a list of (username, password); random passwords are the
    caller's business) or from ``subscriber_file``, a db_text subscriber table made elsewhere
    (plain passwords, or ha1 values computed with the realm = domain). Start with :meth:`start`
    or as a context manager; :meth:`stop` and :meth:`restart` keep the same ports and files.
    """

    def __init__(
        self,
        accounts: Sequence[tuple[str, str]] | None = None,
        *,
        subscriber_file: Path | str | None = None,
        directory_db: str | None = None,
        rpc: bool = False,
        domain: str = DEFAULT_DOMAIN,
        run_dir: Path | None = None,
        debug: int = 2,
        start_timeout: float = 10.0,
        stop_timeout: float = 2.0,
    ) -> None:
        if _is_ip_literal(domain):
            raise ValueError(
                "the SIP domain must be a name, never an IP address (see the note in the cfg)"
            )
        if sum(x is not None for x in (accounts, subscriber_file, directory_db)) > 1:
            raise ValueError("give one of accounts, subscriber_file and directory_db")
        # directory_db: the provisioning server's database (a Kamailio db URL), read live
        # through communicator.provisioning.server.kamailio_routing (issue 18).
        self._directory_db = directory_db
        binary = kamailio_binary()
        module_dir = find_module_dir()
        if binary is None:
            raise FileNotFoundError(
                "kamailio not found (Debian packages kamailio, ...-tls-modules)"
            )
        if module_dir is None:
            raise FileNotFoundError("Kamailio modules (tls.so, registrar.so) not found")
        self._binary = binary
        self._module_dir = module_dir
        self._domain = domain
        self._debug = debug
        self._start_timeout = start_timeout
        self._stop_timeout = stop_timeout
        self._own_dir = run_dir is None
        self.run_dir = Path(run_dir) if run_dir else Path(tempfile.mkdtemp(prefix="rig-kamailio-"))
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.host = LOOPBACK
        self._udp_port, self._tcp_port, self._tls_port = free_ports(3, udp=True, tcp=True)
        # rpc: JSON-RPC over HTTP on loopback (the server's --kamailio-rpc), directory_db only.
        if rpc and directory_db is None:
            raise ValueError("rpc needs directory_db (it comes with the server's fragment)")
        self._rpc_port: int | None = free_ports(1, tcp=True)[0] if rpc else None

        db_dir = self.run_dir / "db"
        db_dir.mkdir(exist_ok=True)
        (db_dir / "version").write_text(
            "id(int,auto) table_name(string) table_version(int)\n0:subscriber:7\n"
        )
        subscriber = db_dir / "subscriber"
        if directory_db is not None:
            self._accounts = []
            self._use_ha1 = True
            write_subscriber_rows(subscriber, [])
        elif subscriber_file is not None:
            # Re-written in the canonical layout: exported tables may order columns differently
            # or leave out passwords (ha1 only).
            rows = read_subscriber_file(Path(subscriber_file))
            self._accounts = [SipAccount(r.username, r.password, r.domain) for r in rows]
            # Plain passwords if every row has one; otherwise the table's ha1 column.
            self._use_ha1 = any(not r.password for r in rows)
            if self._use_ha1 and any(not r.ha1 for r in rows):
                raise ValueError(f"{subscriber_file}: rows with neither password nor ha1")
            write_subscriber_rows(subscriber, rows)
        else:
            self._accounts = [SipAccount(u, p, domain) for u, p in (accounts or [])]
            write_subscriber_file(subscriber, self._accounts)
            self._use_ha1 = False
        self._domains = sorted({domain, *(a.domain for a in self._accounts)})
        bad = [d for d in self._domains if _is_ip_literal(d)]
        if bad:
            raise ValueError(f"subscriber domains must be names, not IP addresses: {bad}")

        self._cert, self._key = generate_certificate(self.run_dir / "tls", domain)
        self.cfg_path = self.run_dir / "kamailio.cfg"
        self.pid_file = self.run_dir / "kamailio.pid"
        self.process: ManagedProcess | None = None

    # -- public properties ---------------------------------------------------------------------

    @property
    def domain(self) -> str:
        return self._domain

    @property
    def udp_port(self) -> int:
        return self._udp_port

    @property
    def tcp_port(self) -> int:
        return self._tcp_port

    @property
    def tls_port(self) -> int:
        return self._tls_port

    def port(self, transport: str) -> int:
        return {"udp": self._udp_port, "tcp": self._tcp_port, "tls": self._tls_port}[
            transport.lower()
        ]

    @property
    def ca_file(self) -> Path:
        """The self-signed server certificate: the CA list for clients that verify the server."""
        return self._cert

    @property
    def key_file(self) -> Path:
        return self._key

    @property
    def accounts(self) -> list[SipAccount]:
        return list(self._accounts)

    def remember_account(self, username: str, password: str) -> SipAccount:
        """Tell the rig an account's password (for ``register_on``); with ``directory_db`` the
        registrar itself reads the accounts from the server's database, not from here."""
        acc = SipAccount(username, password, self._domain)
        self._accounts = [a for a in self._accounts if a.username != username] + [acc]
        return acc

    def account(self, username: str) -> SipAccount:
        for acc in self._accounts:
            if acc.username == username:
                return acc
        raise KeyError(username)

    @property
    def rpc_url(self) -> str:
        """Kamailio's JSON-RPC endpoint (``rpc=True``), for ``serve --kamailio-rpc``."""
        if self._rpc_port is None:
            raise RuntimeError("this Kamailio was started without rpc=True")
        return f"http://{self.host}:{self._rpc_port}/RPC"

    @property
    def registrar_uri(self) -> str:
        return f"sip:{self._domain}"

    def aor(self, username: str) -> str:
        return f"sip:{username}@{self._domain}"

    def proxy_uri(self, transport: str = "udp") -> str:
        """The outbound proxy URI for ``transport`` ("udp", "tcp" or "tls")."""
        t = transport.lower()
        if t not in TRANSPORTS:
            raise ValueError(f"unknown transport {transport!r}")
        if t == "udp":
            return f"sip:{self.host}:{self._udp_port};lr"
        return f"sip:{self.host}:{self.port(t)};transport={t};lr"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.running

    @property
    def log_path(self) -> Path:
        return self.run_dir / "kamailio.log"

    def log_text(self) -> str:
        return self.process.log_text() if self.process else ""

    # -- lifecycle -----------------------------------------------------------------------------

    def _write_config(self) -> None:
        aliases = "\n".join(f'alias="{d}"' for d in self._domains)
        if self._directory_db is not None:
            from communicator.provisioning.server.kamailio_routing import routing_fragment

            fragment = self.run_dir / "directory.cfg"
            fragment.write_text(routing_fragment(self._directory_db, rpc_port=self._rpc_port))
            directory = f'include_file "{fragment}"'
        else:
            directory = STATIC_DIRECTORY
        cfg = (
            CFG_TEMPLATE.replace("@DIRECTORY@", directory)
            .replace("@DEBUG@", str(self._debug))
            .replace("@UDP_PORT@", str(self._udp_port))
            .replace("@TCP_PORT@", str(self._tcp_port))
            .replace("@TLS_PORT@", str(self._tls_port))
            .replace("@ALIASES@", aliases)
            .replace("@DOMAIN_LIST@", ", ".join(self._domains))
            .replace("@MPATH@", self._module_dir.rstrip("/") + "/")
            .replace("@RUN_DIR@", str(self.run_dir))
            .replace("@CALCULATE_HA1@", "0" if self._use_ha1 else "1")
            .replace("@PASSWORD_COLUMN@", "ha1" if self._use_ha1 else "password")
        )
        self.cfg_path.write_text(cfg)
        (self.run_dir / "tls.cfg").write_text(
            TLS_CFG_TEMPLATE.replace("@RUN_DIR@", str(self.run_dir))
        )

    def answers_options(self, transport: str = "udp", timeout: float = 0.3) -> bool:
        """Whether Kamailio answers an OPTIONS over ``transport`` with 200."""
        try:
            code = sip_options_ping(
                self.host,
                self.port(transport),
                transport=transport,
                timeout=timeout,
                ca_file=self._cert,
            )
        except (TimeoutError, OSError, ssl.SSLError):
            return False
        return code == 200

    def _ready(self) -> bool:
        return all(self.answers_options(t) for t in TRANSPORTS)

    def start(self) -> KamailioServer:
        if self.running:
            return self
        self._write_config()
        argv = [
            self._binary,
            "-f",
            str(self.cfg_path),
            "-Y",
            str(self.run_dir),
            "-P",
            str(self.pid_file),
            "-DD",
            "-E",
            "-m",
            "64",
            "-M",
            "8",
        ]
        self.process = ManagedProcess(
            "kamailio",
            argv,
            log_dir=self.run_dir,
            ready=self._ready,
            start_timeout=self._start_timeout,
            stop_timeout=self._stop_timeout,
            cwd=self.run_dir,
        )
        try:
            self.process.start()
        except ProcessError as exc:
            raise ProcessError(
                f"Kamailio failed to start (config {self.cfg_path}).\n{exc}"
            ) from exc
        return self

    def stop(self) -> None:
        """Stop Kamailio (SIGTERM, then SIGKILL); the ports and files stay for :meth:`start`."""
        if self.process is not None:
            self.process.stop()

    def restart(self) -> KamailioServer:
        """Stop and start again on the same ports (registrations are lost: usrloc is in memory)."""
        self.stop()
        return self.start()

    def close(self) -> None:
        """Stop for good: release the ports, remove the run directory if it was made here."""
        self.stop()
        release_ports((self._udp_port, self._tcp_port, self._tls_port))
        if self._rpc_port is not None:
            release_ports((self._rpc_port,))
        if self._own_dir:
            shutil.rmtree(self.run_dir, ignore_errors=True)

    def __enter__(self) -> KamailioServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def random_accounts(usernames: Iterable[str]) -> list[tuple[str, str]]:
    """(username, random password) pairs for :class:`KamailioServer`."""
    return [(u, secrets.token_hex(8)) for u in usernames]
