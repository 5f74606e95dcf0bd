"""Fixtures of the routing tests: the real server, and Kamailio reading its database live."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.rig.directory import DirectoryRig
from tests.server.conftest import db_url, pg_cluster, sqlite_template

__all__ = ["db_url", "pg_cluster", "sqlite_template"]

DirectoryFactory = Callable[..., DirectoryRig]


@pytest.fixture
def directory_factory(
    db_url: str, tmp_path: Path, kamailio_factory: Any, peer_factory: Any
) -> Iterator[DirectoryFactory]:
    rigs: list[DirectoryRig] = []

    def make(*server_args: str, kamailio_rpc: bool = False) -> DirectoryRig:
        rig = DirectoryRig(
            db_url,
            tmp_path,
            kamailio_factory,
            peer_factory,
            *server_args,
            kamailio_rpc=kamailio_rpc,
        )
        rigs.append(rig)
        return rig

    try:
        yield make
    finally:
        for rig in rigs:
            rig.close()


@pytest.fixture
def directory(directory_factory: DirectoryFactory) -> DirectoryRig:
    return directory_factory()
