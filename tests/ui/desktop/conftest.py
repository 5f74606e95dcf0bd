"""Fixtures of the main-window flow tests: a contact center with a colleague in the directory
(an agent whose extension is a SIP account a far end registers, so the directory's entry can be
called), a wrap-up long enough to extend, and the signed-in main window."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from communicator.ui.desktop.main_window import MainWindow
from tests.client.site import Site
from tests.rig.deployment import Deployment
from tests.ui.helpers import REASONS, Desk, sign_in

COLLEAGUE = "150"
"""Bert's extension, and the SIP user name his far end registers (dialling one reaches the
other: the extension is what the directory offers)."""
COLLEAGUE_NAME = "Bert Colleague"
WRAP_UP_S = 20
EXTEND_S = 30


@pytest.fixture
def center(site: Site, kamailio_factory: Any, tmp_path: Path) -> Deployment:
    deployment = Deployment(
        site,
        kamailio_factory,
        tmp_path,
        far=("2002", "2003", COLLEAGUE),
        group_fields={
            "wrap_up_s": WRAP_UP_S,
            "wrap_up_extension_s": EXTEND_S,
            "not_ready_reasons": REASONS,
        },
    )
    api = site.api
    bert = api.agent("bert", display_name=COLLEAGUE_NAME, group_id=deployment.group["id"])
    account = deployment.far_accounts[COLLEAGUE]
    api.ok(
        site.http.patch(
            f"/api/v1/admin/accounts/{account['id']}",
            json={"agent_id": bert["id"], "extension": int(COLLEAGUE)},
            headers=api.h,
        )
    )
    return deployment


@pytest.fixture
def main_window(desk: Desk, qtbot: Any) -> Iterator[MainWindow]:
    window = MainWindow(desk.model)
    qtbot.addWidget(window)
    with qtbot.waitExposed(window):
        window.show()
    window.activateWindow()
    yield window
    window.close()


@pytest.fixture
def signed_in(center: Deployment, desk: Desk, main_window: MainWindow, qtbot: Any) -> MainWindow:
    """The main window of an agent signed in on `center`, registered and Ready."""
    sign_in(desk.model, center, qtbot)
    return main_window
