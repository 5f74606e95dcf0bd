"""``serve --workers N``: the app factory each uvicorn worker process calls.

The parent process migrates the database and loads (or creates) the server key before it
starts the workers, then hands them its configuration in the environment; the workers share
everything else through the database (changes by LISTEN/NOTIFY or the change table).
"""

from __future__ import annotations

import dataclasses
import gc
import json
import os
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from .config import ServerConfig

CONFIG_ENV = "COMMUNICATOR_SERVER_WORKER_CONFIG"


def config_to_env(cfg: ServerConfig) -> str:
    return json.dumps(
        {k: str(v) if isinstance(v, Path) else v for k, v in dataclasses.asdict(cfg).items()}
    )


def config_from_env() -> ServerConfig:
    raw: dict[str, Any] = json.loads(os.environ[CONFIG_ENV])
    for f in dataclasses.fields(ServerConfig):
        if f.name in raw and f.type in ("Path", Path):
            raw[f.name] = Path(raw[f.name])
    return ServerConfig(**raw)


def app() -> FastAPI:
    """One worker's app (uvicorn ``factory=True``); the parent already migrated."""
    from .api import create_app

    made = create_app(config_from_env(), migrate=False)
    freeze_start_up()
    return made


def freeze_start_up() -> None:
    """Moves every object alive after start-up (modules, the app, SQLAlchemy's and pydantic's
    tables: some 165,000) out of the cyclic garbage collector's reach: its full collections
    walked them all, 50 ms each, every few requests, the tail of the console pages' answer
    times (issue 17: p95 3-4 times p50). Start-up's garbage is collected first; what a request
    creates is still collected as before."""
    gc.collect()
    gc.freeze()
