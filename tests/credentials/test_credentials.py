import logging

import pytest

from communicator.provisioning.credentials import (
    SERVICE_NAME,
    CredentialStore,
    CredentialStoreError,
    credential_key,
    split_credential_key,
)
from tests.credentials.memory_backend import MemoryKeyring


@pytest.fixture
def backend() -> MemoryKeyring:
    return MemoryKeyring()


@pytest.mark.parametrize(
    ("url", "login", "key"),
    [
        ("https://pbx.example.com", "anna", "anna@https://pbx.example.com"),
        ("https://PBX.example.com:8443/", " anna ", "anna@https://pbx.example.com:8443"),
        ("pbx.example.com", "anna", "anna@https://pbx.example.com"),
        ("http://127.0.0.1:8000/api", "bob", "bob@http://127.0.0.1:8000"),
    ],
)
def test_credential_key_normalises_server(url: str, login: str, key: str) -> None:
    assert credential_key(url, login) == key


def test_remember_recall_forget(backend: MemoryKeyring) -> None:
    store = CredentialStore(backend)
    store.remember("https://pbx.example.com", "anna", "s3cret")
    assert backend.items == {(SERVICE_NAME, "anna@https://pbx.example.com"): "s3cret"}
    assert store.recall("https://pbx.example.com/", "anna") == "s3cret"
    assert store.recall("https://other.example.com", "anna") is None
    store.forget("https://pbx.example.com", "anna")
    assert store.recall("https://pbx.example.com", "anna") is None
    store.forget("https://pbx.example.com", "anna")  # forgetting twice is not an error


def test_hot_desk_agents_do_not_collide(backend: MemoryKeyring) -> None:
    store = CredentialStore(backend)
    store.remember("https://pbx.example.com", "anna", "a-pass")
    store.remember("https://pbx.example.com", "bob", "b-pass")
    assert store.recall("https://pbx.example.com", "anna") == "a-pass"
    assert store.recall("https://pbx.example.com", "bob") == "b-pass"


def test_locked_keyring_gives_clear_error_without_secret(
    backend: MemoryKeyring, caplog: pytest.LogCaptureFixture
) -> None:
    backend.locked = True
    store = CredentialStore(backend)
    with caplog.at_level(logging.DEBUG), pytest.raises(CredentialStoreError) as info:
        store.remember("https://pbx.example.com", "anna", "top-secret-pw")
    assert "KeyringLocked" in str(info.value)
    assert "not saved" in str(info.value)
    assert info.value.__cause__ is None and info.value.__suppress_context__
    assert "top-secret-pw" not in str(info.value)
    assert "top-secret-pw" not in caplog.text
    with pytest.raises(CredentialStoreError):
        store.recall("https://pbx.example.com", "anna")


def test_no_keyring_is_reported_unavailable() -> None:
    from keyring.backends.fail import Keyring as NoKeyring

    assert not CredentialStore(NoKeyring()).available
    assert CredentialStore(MemoryKeyring()).available
    with pytest.raises(CredentialStoreError, match="not saved"):
        CredentialStore(NoKeyring()).remember("https://pbx.example.com", "anna", "pw")


@pytest.mark.parametrize(
    ("url", "login"),
    [("https://pbx.example.com:8443", "anna"), ("https://pbx.example.com", "anna@corp")],
)
def test_split_credential_key_inverts_credential_key(url: str, login: str) -> None:
    assert split_credential_key(credential_key(url, login)) == (url, login)


@pytest.mark.parametrize("bad", ["anna", "@https://pbx", "anna@pbx"])
def test_split_credential_key_rejects_other_strings(bad: str) -> None:
    with pytest.raises(ValueError, match="not a credential key"):
        split_credential_key(bad)
