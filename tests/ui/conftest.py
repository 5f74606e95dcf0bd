"""Fixtures of the tests/ui rig tests: a small contact center on the rig and one workstation."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.client.site import Site, site
from tests.rig.deployment import Deployment
from tests.ui.helpers import REASONS, Desk

__all__ = ["site"]


@pytest.fixture
def deployment(site: Site, kamailio_factory: Any, tmp_path: Path) -> Deployment:
    return Deployment(
        site,
        kamailio_factory,
        tmp_path,
        far=("2002", "2003"),
        group_fields={"wrap_up_s": 2, "not_ready_reasons": REASONS},
    )


@pytest.fixture
def desk(engine_factory: Any, tmp_path: Path, qapp: Any) -> Iterator[Desk]:
    d = Desk(engine_factory, tmp_path / "client")
    try:
        yield d
    finally:
        d.close()
