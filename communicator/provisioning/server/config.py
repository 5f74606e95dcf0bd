"""Server configuration: where the data lives and the limits the server enforces."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import platformdirs

APP_NAME = "communicator-server"


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def database_url(db: str | None, data_dir: Path | None = None) -> str:
    """Turns ``--db`` (a URL or a file path) into an SQLAlchemy URL; None means the default file."""
    if db is None:
        path = (data_dir or default_data_dir()) / "communicator.sqlite3"
        path.parent.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{path}"
    if "://" in db:
        if db.startswith(("postgresql://", "postgres://")):
            return "postgresql+psycopg://" + db.split("://", 1)[1]
        return db
    path = Path(db).expanduser().resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"


@dataclasses.dataclass(frozen=True)
class ServerConfig:
    db_url: str
    data_dir: Path
    recordings_dir: Path
    extension_min: int = 100
    extension_max: int = 999
    session_ttl_s: int = 12 * 3600
    heartbeat_s: float = 15.0
    # Sign-in rate limits: token buckets (burst, refill per second).
    signin_burst_per_agent: int = 10
    signin_rate_per_agent: float = 1 / 6
    signin_burst_per_address: int = 300
    signin_rate_per_address: float = 5.0
    max_body_bytes: int = 1 << 20
    max_call_log_batch_bytes: int = 8 << 20
    max_recording_bytes: int = 256 << 20
    max_call_log_batch: int = 1000
    hash_workers: int = dataclasses.field(default_factory=lambda: os.cpu_count() or 1)
    change_poll_s: float = 0.25
    # Lifetime of a new admin token (``admin create --expires-in-days`` overrides it).
    admin_token_ttl_days: int = 90
    # A pool lease ends when the agent's client has not reported its state for this long
    # (clients report every 60 s); leases that ran out are swept every ``lease_sweep_s``.
    lease_idle_s: int = 180
    lease_sweep_s: float = 15.0
    # Group calls (issue 18): a client that has not reported its agent state for this long
    # counts as signed out and is not rung (clients report every 60 s and on each change).
    agent_stale_s: int = 150
    # Kamailio's JSON-RPC URL (``serve --kamailio-rpc``): registrations made with credentials
    # that stopped being valid are removed at once (kamailio_rpc.py). None: not done.
    kamailio_rpc: str | None = None

    def engine_name(self) -> str:
        """The database URL without its password, for logs."""
        if "@" in self.db_url and "://" in self.db_url:
            scheme, rest = self.db_url.split("://", 1)
            return f"{scheme}://***@{rest.rsplit('@', 1)[1]}"
        return self.db_url

    @classmethod
    def create(
        cls,
        db: str | None = None,
        data_dir: Path | None = None,
        recordings_dir: Path | None = None,
        **overrides: object,
    ) -> ServerConfig:
        data = data_dir or default_data_dir()
        rec = recordings_dir or data / "recordings"
        return cls(
            db_url=database_url(db, data),
            data_dir=data,
            recordings_dir=rec,
            **overrides,  # type: ignore[arg-type]
        )
