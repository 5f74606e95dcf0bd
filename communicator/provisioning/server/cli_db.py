"""The command line's way to the configuration and the database (``communicator-server``)."""

from __future__ import annotations

import argparse
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from . import db as db_mod
from . import kamailio_rpc
from .config import ServerConfig
from .keycheck import check_server_key
from .security import SecretBox

T = TypeVar("T")
log = logging.getLogger(__name__)
RPC_WAIT_S = 10.0
"""How long a command waits for Kamailio to remove stale registrations before it exits."""


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
    if "kamailio_rpc" not in overrides and os.environ.get("COMMUNICATOR_KAMAILIO_RPC"):
        overrides["kamailio_rpc"] = os.environ["COMMUNICATOR_KAMAILIO_RPC"]
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
    (``needs_key``) refuse a server key that cannot read the stored ones.

    With ``cfg.kamailio_rpc`` the registrations the change made stale are removed, as
    ``serve`` does (kamailio_rpc.py, the same hook), before the command returns."""
    engine = db_mod.make_engine(cfg.db_url, pool_size=1)
    try:
        db_mod.upgrade(engine)
        box = SecretBox.load(cfg.data_dir)
        if needs_key:
            check_server_key(engine, box, cfg.data_dir)
        maker = db_mod.make_sessionmaker(engine, box)
        rpc = kamailio_rpc.attach(maker, cfg.kamailio_rpc) if commit else None
        with maker() as s:
            result = fn(s, box)
            if commit:
                s.commit()
        if rpc is not None and not rpc.flush(RPC_WAIT_S):
            log.warning("Kamailio did not answer within %s s: registrations may remain", RPC_WAIT_S)
        return result
    finally:
        engine.dispose()
