"""The directory for the transfer and call pickers, read by the client from a real server."""

from __future__ import annotations

import pytest

from communicator.provisioning.client import (
    DirectoryEntry,
    DirectoryKind,
    ErrorKind,
    ProvisioningClient,
    ProvisioningError,
)
from tests.client.site import Site


def test_directory_names_agents_and_groups_without_logins(site: Site) -> None:
    sales = site.api.group("Sales", extension=200)
    anna = site.api.agent("anna", password="correct horse", group_id=sales["id"])
    account = site.api.account(anna["id"], sip_server="127.0.0.1")
    site.api.agent("bob.smith", display_name="Bob Smith")
    site.api.agent("nameless", display_name="")
    with ProvisioningClient(site.url) as client:
        session = client.sign_in("anna", "correct horse")
        entries = client.directory(session)
    assert DirectoryEntry(DirectoryKind.AGENT, "Anna", str(account["extension"]), "Sales") in (
        entries
    )
    assert DirectoryEntry(DirectoryKind.AGENT, "Bob Smith", None, None) in entries
    assert DirectoryEntry(DirectoryKind.GROUP, "Sales", "200") in entries
    # An agent with neither a name nor a number cannot be shown or called.
    assert all(e.name for e in entries)
    logins = {"anna", "bob.smith", "nameless"}
    assert not logins & {e.name for e in entries}
    assert not any(login in repr(entries) for login in logins)


def test_directory_needs_a_live_session(site: Site) -> None:
    agent = site.api.agent("anna", password="correct horse")
    site.api.account(agent["id"], sip_server="127.0.0.1")
    with ProvisioningClient(site.url) as client:
        session = client.sign_in("anna", "correct horse")
        client.sign_out(session)
        with pytest.raises(ProvisioningError) as caught:
            client.directory(session)
    assert caught.value.kind is ErrorKind.SESSION_EXPIRED
