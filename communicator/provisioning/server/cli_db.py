"""The command line's way to the configuration and the database (``communicator-server``)."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from . import db as db_mod
from .config import ServerConfig
from .keycheck import check_server_key
from .security import SecretBox

T = TypeVar("T")


def config_of(args: argparse.Namespace) -> ServerConfig:
    lo, hi = 100, 999
    if getattr(args, "extensions", None):
        try:
            lo_s, hi_s = args.extensions.split("-", 1)
            lo, hi = int(lo_s), int(hi_s)
        except ValueError:
            raise SystemExit("--extensions must look like 100-999") from None
    overrides: dict[str, Any] = {"extension_min": lo, "extension_max": hi}
    for name in (
        "heartbeat_s",
        "signin_burst_per_address",
        "signin_rate_per_address",
        "signin_burst_per_agent",
        "signin_rate_per_agent",
        "session_ttl_s",
        "lease_idle_s",
        "agent_stale_s",
        "kamailio_rpc",
    ):
        value = getattr(args, name, None)
        if value is not None:
            overrides[name] = value
    return ServerConfig.create(
        db=args.db or os.environ.get("COMMUNICATOR_SERVER_DB"),
        data_dir=Path(args.data_dir) if args.data_dir else None,
        recordings_dir=Path(args.recordings_dir) if getattr(args, "recordings_dir", None) else None,
        **overrides,
    )


def with_db(
    cfg: ServerConfig,
    fn: Callable[[Session, SecretBox], T],
    *,
    commit: bool = True,
    needs_key: bool = True,
) -> T:
    """Runs ``fn`` in one transaction. Commands that read or write SIP passwords
    (``needs_key``) refuse a server key that cannot read the stored ones."""
    engine = db_mod.make_engine(cfg.db_url, pool_size=1)
    try:
        db_mod.upgrade(engine)
        box = SecretBox.load(cfg.data_dir)
        if needs_key:
            check_server_key(engine, box, cfg.data_dir)
        with db_mod.make_sessionmaker(engine, box)() as s:
            result = fn(s, box)
            if commit:
                s.commit()
            return result
    finally:
        engine.dispose()
