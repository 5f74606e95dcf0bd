"""A VoIP account made through the console's form reaches a signed-in headless workstation
(issue 17's Tests): the desktop's own provisioning code (``ProvisioningClient`` and
``ProfileWatcher``, what ``communicator.workstation`` runs without any widget) signs the agent
in, follows its profile's events, and fetches the pushed profile."""

from __future__ import annotations

import queue
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from communicator.provisioning.client import ProvisioningClient, ProvisioningError
from communicator.provisioning.schema import VoipProfile
from communicator.provisioning.watcher import ProfileWatcher

from .conftest import Console, sign_in

pytestmark = pytest.mark.slow

Received = tuple[VoipProfile, str]


@pytest.fixture
def workstation(console: Console) -> Iterator[tuple[VoipProfile, queue.Queue[Received]]]:
    """Agent sam signed in through the desktop's client, lent a pool number; yields the
    profile it started with and the queue of profiles its watcher is handed."""
    group = console.api.group("Support")
    console.api.agent("sam", password="sam's password", group_id=group["id"])
    console.api.account(phone_number="+44 20 7946 0000")  # the pool number sam borrows
    received: queue.Queue[Received] = queue.Queue()
    errors: list[ProvisioningError] = []
    revoked: list[str] = []
    with ProvisioningClient(console.url) as client:
        session = client.sign_in("sam", "sam's password")
        first = client.fetch_profile(session)
        assert first.profile is not None
        watcher = ProfileWatcher(
            client,
            session,
            first.etag,
            on_profile=lambda p, etag: received.put((p, etag)),
            on_revoked=revoked.append,
            on_error=errors.append,
        )
        watcher.start()
        try:
            assert watcher.connected.wait(15), "the watcher never reached the event stream"
            yield first.profile, received
        finally:
            watcher.stop()
    assert not errors and not revoked


def test_an_account_saved_in_the_console_reaches_the_signed_in_workstation(
    page: Page, workstation: tuple[VoipProfile, queue.Queue[Received]]
) -> None:
    before, received = workstation
    assert before.agent.phone_number == "+44 20 7946 0000"
    sign_in(page)
    page.get_by_role("link", name="New").click()
    page.get_by_label("Agent", exact=True).select_option(label="Sam (sam)")
    page.get_by_label("Phone number", exact=True).fill("+1 555 0177")
    page.get_by_label("Extension", exact=True).fill("377")
    page.get_by_label("VoIP username", exact=True).fill("sam-sip")
    page.get_by_role("button", name="Generate").click()
    generated = page.locator("#f-sip_password").input_value()
    page.get_by_label("SIP server", exact=True).fill("sip.example.com")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("p.flash")).to_have_text("Account created; pushed to 1 signed-in client.")

    # The workstation's watcher is told and fetches the new profile: sam's own number now.
    profile, _etag = received.get(timeout=15)
    assert profile.agent.phone_number == "+1 555 0177"
    assert profile.agent.extension == "377"
    assert profile.sip.username == "sam-sip"
    assert profile.sip.server == "sip.example.com"
    assert profile.sip.password is not None
    assert profile.sip.password.get_secret_value() == generated
