"""The sign-in flow's answers when something fails that is neither the server's nor the
agent's doing: the window is told, and never left signing in for ever (fast, with a stand-in
workstation; the flows against a real server are in test_session_model.py and desktop/)."""

from __future__ import annotations

from typing import Any

from communicator.provisioning.client import ErrorKind, ProvisioningError
from communicator.ui.dispatch import MainThreadDispatcher
from communicator.ui.session_sign_in import UNEXPECTED, SignInFlow
from communicator.ui.sign_in import SignInFailure


class BrokenWorkstation:
    """Every step fails: offline start with a bug, sign-in with an unreachable server whose
    saved profile cannot be read either."""

    def check_offline(self, *_args: Any) -> Any:
        raise RuntimeError("a bug")

    def authenticate(self, *_args: Any, **_kwargs: Any) -> Any:
        raise ProvisioningError(ErrorKind.UNREACHABLE, "The server cannot be reached")

    def cache_for(self, *_args: Any) -> Any:
        raise OSError("the saved profile cannot be read")


def flow_with(failures: list[SignInFailure]) -> SignInFlow:
    def never(*_args: Any) -> None:
        raise AssertionError("nothing may start")

    return SignInFlow(
        BrokenWorkstation(),  # type: ignore[arg-type]
        MainThreadDispatcher(),
        refresh=lambda: None,
        start=never,
        failed=failures.append,
        choice_needed=never,
    )


def test_an_offline_start_that_fails_unexpectedly_is_told_and_ends(qtbot: Any) -> None:
    failures: list[SignInFailure] = []
    flow = flow_with(failures)
    flow.start_offline("https://cc.example.com", "anna", "secret")
    assert flow.signing_in
    qtbot.waitUntil(lambda: bool(failures), timeout=5000)
    assert failures[0].message == UNEXPECTED
    assert not flow.signing_in and not flow.busy


def test_a_failure_whose_explanation_fails_too_is_told_and_ends(qtbot: Any) -> None:
    failures: list[SignInFailure] = []
    flow = flow_with(failures)
    flow.sign_in("https://cc.example.com", "anna", "secret", remember=False)
    qtbot.waitUntil(lambda: bool(failures), timeout=5000)
    assert failures[0].message == UNEXPECTED
    assert not flow.signing_in
