"""Refuses to run with a server key that cannot read the SIP passwords already stored.

Every instance (process, host) on one database must use the same key: a second instance
started with another data directory would otherwise create a key of its own, fail to sign
agents in (500s) and write rows the others cannot read.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from .models import VoipAccount
from .security import KEY_ENV, SecretBox

SAMPLE = 5


class ServerKeyMismatchError(Exception):
    """The server key cannot decrypt the rows in the database."""

    def __init__(self, data_dir: Path) -> None:
        super().__init__(
            f"the server key ({data_dir / 'server.key'} or ${KEY_ENV}) cannot read the SIP "
            "passwords already in the database: they were written by an instance with another "
            "key. Every instance on one database needs the same key: copy server.key from the "
            f"first instance's data directory into {data_dir}, or set {KEY_ENV} to its "
            "contents, then start again"
        )
        self.message = str(self)


def check_server_key(engine: Engine, box: SecretBox, data_dir: Path) -> None:
    """Raises ServerKeyMismatchError unless ``box`` decrypts the stored SIP passwords (a sample of
    the oldest and newest rows; an empty database accepts any key)."""
    with Session(engine) as s:
        oldest = s.scalars(
            select(VoipAccount.sip_password_enc).order_by(VoipAccount.id).limit(SAMPLE)
        ).all()
        newest = s.scalars(
            select(VoipAccount.sip_password_enc).order_by(VoipAccount.id.desc()).limit(SAMPLE)
        ).all()
    for token in [*oldest, *newest]:
        try:
            box.decrypt(token)
        except ValueError:
            raise ServerKeyMismatchError(data_dir) from None
