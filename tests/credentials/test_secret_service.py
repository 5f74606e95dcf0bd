"""The credential store against the real Secret Service (gnome-keyring on a private D-Bus).

`make test` runs pytest under scripts/with-secret-service.sh, which sets
COMMUNICATOR_SECRET_SERVICE=1. Outside it these tests skip, except in CI, where a missing Secret
Service is a failure rather than a silent skip.
"""

import os
import secrets
import subprocess

import keyring
import pytest

from communicator.provisioning.credentials import SERVICE_NAME, CredentialStore, credential_key

pytestmark = pytest.mark.secret_service

if os.environ.get("COMMUNICATOR_SECRET_SERVICE") != "1":
    if os.environ.get("CI"):
        raise RuntimeError(
            "CI must run the Secret Service tests: use scripts/with-secret-service.sh"
        )
    pytest.skip("no Secret Service session (run through make test)", allow_module_level=True)


def test_default_backend_is_secret_service() -> None:
    backend = keyring.get_keyring()
    assert type(backend).__module__ == "keyring.backends.SecretService"
    assert CredentialStore().available


def test_round_trip_through_secret_service() -> None:
    store = CredentialStore()
    server, login, password = "https://pbx.test.invalid", "agent-ss", secrets.token_urlsafe(16)
    store.remember(server, login, password)
    try:
        assert store.recall(server, login) == password
        # Visible to any Secret Service client, under our service name and key.
        found = subprocess.run(
            [
                "secret-tool",
                "lookup",
                "service",
                SERVICE_NAME,
                "username",
                credential_key(server, login),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        assert found.stdout == password
    finally:
        store.forget(server, login)
    assert store.recall(server, login) is None
