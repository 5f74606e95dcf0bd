"""The agent's remembered password, kept in the OS keyring and nowhere else.

"Remember me" stores the provisioning password under the service name ``Communicator`` with the
key ``login@server``, so two servers (or two agents hot-desking on one workstation) never collide.
Failures of the keyring (locked, absent, refused) become :class:`CredentialStoreError` with a
message for the agent; the password itself never appears in a message, a log or a traceback.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

import keyring
import keyring.backends.fail
import keyring.errors
from keyring.backend import KeyringBackend

log = logging.getLogger(__name__)

SERVICE_NAME = "Communicator"


class CredentialStoreError(Exception):
    """The OS keyring could not store, read or delete a password."""


def credential_key(server_url: str, login: str) -> str:
    """The keyring user name for an agent on a server: ``login@scheme://host:port``."""
    parts = urlsplit(server_url.strip())
    scheme = (parts.scheme or "https").lower()
    host = (parts.hostname or parts.path).lower().rstrip("/")
    port = f":{parts.port}" if parts.port else ""
    return f"{login.strip()}@{scheme}://{host}{port}"


def split_credential_key(key: str) -> tuple[str, str]:
    """The inverse of :func:`credential_key`: ``(server_url, login)``. The server part never
    holds an ``@`` (it is built without user info), so the last ``@`` separates them even when
    the login has one (``anna@corp@https://pbx``)."""
    login, at, server_url = key.rpartition("@")
    if not at or not login or "://" not in server_url:
        raise ValueError(f"not a credential key: {key!r}")
    return server_url, login


class CredentialStore:
    """Reads and writes remembered agent passwords in a keyring backend (the OS one by default)."""

    def __init__(self, backend: KeyringBackend | None = None) -> None:
        self._backend = backend

    @property
    def backend(self) -> KeyringBackend:
        return self._backend if self._backend is not None else keyring.get_keyring()

    @property
    def available(self) -> bool:
        """False when there is no usable OS keyring (so "Remember me" must be offered disabled)."""
        return not isinstance(self.backend, keyring.backends.fail.Keyring)

    def remember(self, server_url: str, login: str, password: str) -> None:
        self._call("store the password in", "set_password", server_url, login, password)

    def recall(self, server_url: str, login: str) -> str | None:
        result = self._call("read the password from", "get_password", server_url, login)
        return result if isinstance(result, str) else None

    def forget(self, server_url: str, login: str) -> None:
        try:
            self._call("delete the password from", "delete_password", server_url, login)
        except CredentialStoreError as err:
            if isinstance(err.__cause__, keyring.errors.PasswordDeleteError):
                return  # nothing was remembered: forgetting is already done
            raise

    def _call(self, action: str, method: str, server_url: str, login: str, *secret: str) -> object:
        key = credential_key(server_url, login)
        try:
            return getattr(self.backend, method)(SERVICE_NAME, key, *secret)
        except keyring.errors.PasswordDeleteError as err:
            raise CredentialStoreError(f"No remembered password for {key}") from err
        except Exception as err:  # any backend failure: locked, absent, D-Bus error
            # The message names the backend and the failure type, never the secret.
            log.warning("keyring failed to %s keyring for %s: %s", action, key, type(err).__name__)
            raise CredentialStoreError(
                f"Could not {action} the system keyring ({type(err).__name__}). "
                "Your password was not saved; you will be asked for it at the next sign-in."
                if method == "set_password"
                else f"Could not {action} the system keyring ({type(err).__name__})."
            ) from None
