"""Every field of the session state has its change signal (a new field without one fails)."""

from __future__ import annotations

from communicator.ui.session import SessionModel
from communicator.ui.session_state import FIELD_NAMES


def test_every_state_field_has_a_change_signal() -> None:
    missing = [name for name in FIELD_NAMES if not hasattr(SessionModel, f"{name}_changed")]
    assert missing == []
