"""The messages agents already know from the contact center's documentation (seed 003) keep
their Polish originals: the real server refusing a sign-in because its pool has no free number
reads "Brak wolnego numeru lub numer nieprawidłowy." in the Polish sign-in window, word for
word, and the English window says the server's own words."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from communicator.provisioning.client import ErrorKind, ProvisioningClient
from communicator.ui.desktop.sign_in_window import SignInWindow
from communicator.ui.i18n import install_translators
from tests.client.site import Site
from tests.rig.deployment import AGENT_PW
from tests.ui.desktop.test_sign_in_window import fail_with, shown, type_in
from tests.ui.helpers import Desk
from tests.ui.test_translations import build_translations

pytestmark = [
    pytest.mark.rig,
    pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints"),
]

SEED_003 = "Brak wolnego numeru lub numer nieprawidłowy."
"""The message the documentation quotes, ending with the window's full stop."""


@pytest.fixture(params=["pl", "en"])
def language(request: pytest.FixtureRequest, qapp: Any) -> Iterator[str]:
    build_translations()
    chosen = str(request.param)
    assert install_translators(chosen, qapp) == chosen
    try:
        yield chosen
    finally:
        install_translators("en", qapp)


def test_no_free_number_reads_as_the_documentation_says(
    language: str, site: Site, desk: Desk, qtbot: Any
) -> None:
    site.api.agent("pooled1", password=AGENT_PW)
    site.api.agent("pooled2", password=AGENT_PW)
    site.api.account(None, sip_server="127.0.0.1")  # one pool number for two agents
    with ProvisioningClient(site.url) as client:
        first = client.sign_in("pooled1", AGENT_PW)  # takes the only number
        try:
            window = SignInWindow(desk.model)
            shown(qtbot, window)
            type_in(qtbot, window, site.url, "pooled2", AGENT_PW)
            failure = fail_with(qtbot, window)
            assert failure.kind is ErrorKind.NO_FREE_NUMBER
            expected = SEED_003 if language == "pl" else "No free number, or the number is invalid."
            assert window.message_label.text() == expected
        finally:
            client.sign_out(first)
