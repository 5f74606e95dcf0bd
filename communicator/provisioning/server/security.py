"""Password hashing (argon2id), session tokens and SIP password encryption at rest."""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
from pathlib import Path

import argon2
from argon2.low_level import Type
from cryptography.fernet import Fernet, InvalidToken

log = logging.getLogger(__name__)

# OWASP's minimum for argon2id: m=19 MiB, t=2, p=1.
ARGON2_TIME_COST = 2
ARGON2_MEMORY_KIB = 19 * 1024
ARGON2_PARALLELISM = 1

HASHER = argon2.PasswordHasher(
    time_cost=ARGON2_TIME_COST,
    memory_cost=ARGON2_MEMORY_KIB,
    parallelism=ARGON2_PARALLELISM,
    hash_len=32,
    salt_len=16,
    type=Type.ID,
)

# Verified against for unknown logins so that their answer takes as long as a real check.
_DUMMY_HASH = HASHER.hash("communicator-dummy-password")

KEY_ENV = "COMMUNICATOR_SERVER_KEY"


def hash_password(password: str) -> str:
    return HASHER.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Constant-work check; None (unknown login) verifies against a dummy hash."""
    try:
        return HASHER.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (argon2.exceptions.VerificationError, argon2.exceptions.InvalidHashError):
        return False


def new_token(prefix: str) -> str:
    return f"{prefix}_{secrets.token_urlsafe(32)}"


def token_digest(token: str) -> str:
    """Tokens are stored only as their SHA-256 (they carry 256 bits of entropy)."""
    return hashlib.sha256(token.encode()).hexdigest()


class SecretBox:
    """Encrypts SIP passwords with the server key (Fernet: AES-128-CBC + HMAC-SHA256)."""

    def __init__(self, key: bytes) -> None:
        self._fernet = Fernet(key)

    def __repr__(self) -> str:
        return "SecretBox(<key hidden>)"

    def encrypt(self, plain: str) -> bytes:
        return self._fernet.encrypt(plain.encode())

    def decrypt(self, token: bytes) -> str:
        try:
            return self._fernet.decrypt(token).decode()
        except InvalidToken as exc:
            raise ValueError("SIP password cannot be decrypted with this server key") from exc

    @classmethod
    def load(cls, data_dir: Path) -> SecretBox:
        """Key from $COMMUNICATOR_SERVER_KEY, else ``<data_dir>/server.key`` (created 0600)."""
        env = os.environ.get(KEY_ENV)
        if env:
            return cls(env.strip().encode())
        path = data_dir / "server.key"
        if not path.exists():
            data_dir.mkdir(parents=True, exist_ok=True)
            key = Fernet.generate_key()
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                pass
            else:
                with os.fdopen(fd, "wb") as f:
                    f.write(key)
                log.info("created server key file %s", path)
        return cls(path.read_bytes().strip())
