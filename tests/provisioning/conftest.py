"""Fixtures for the profile schema tests."""

from __future__ import annotations

from typing import Any

import pytest
from schema_examples import example_profile_dict as _example_dict
from schema_examples import minimal_profile_dict as _minimal_dict

from communicator.provisioning.schema import VoipProfile, parse_profile


@pytest.fixture
def example_profile_dict() -> dict[str, Any]:
    """A complete, valid profile document (a fresh copy per test)."""
    return _example_dict()


@pytest.fixture
def minimal_profile_dict() -> dict[str, Any]:
    """The smallest valid profile document (a fresh copy per test)."""
    return _minimal_dict()


@pytest.fixture
def example_profile() -> VoipProfile:
    """The example document, parsed."""
    return parse_profile(_example_dict())
