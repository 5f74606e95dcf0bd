"""What the SIP registrar reads from this server's database (issue 18).

Kamailio reads subscribers, aliases and group routing live from the server's own database
(db_sqlite on the SQLite file, db_postgres on PostgreSQL) through the views of revision 0012
(``sip_subscribers``, ``sip_aliases``, ``sip_groups``, ``sip_group_targets``).

Why the database, not an HTTP query from Kamailio to the server, nor tables copied by export:

* A view is computed from the rows the server commits, so a new account, a password change, a
  pool rotation, a deletion, a membership change or an agent going Not ready is what Kamailio
  reads on its next REGISTER or INVITE: nothing to push, nothing to fall out of step, no
  restart. The only derived data, the digest hashes, are written in the same flush as the
  password (:func:`refresh_hashes`, a ``before_flush`` hook), never later.
* Kamailio keeps working while the HTTP server restarts or is busy hashing sign-ins; an SQL
  lookup on loopback costs well under a millisecond, an HTTP round trip through uvicorn several.
* No plaintext password leaves the server: the views carry ha1/ha1b only.

Group routing itself (call order, ring time, overflow, call waiting) is in Kamailio's script
(:mod:`.kamailio_routing`); the choices it needs are data in these views.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from .config import ServerConfig
from .models import Group, SipSetting, VoipAccount
from .security import SecretBox

# Attributes of an account that its digest hashes depend on.
_HASH_INPUTS = ("sip_password_enc", "sip_username", "auth_name", "sip_domain", "sip_server")


def _md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def digest_hashes(user: str, realm: str, password: str) -> tuple[str, str]:
    """(ha1, ha1b) as Kamailio's auth_db reads them:
    md5(user:realm:pw) and md5(user@realm:realm:pw)."""
    return _md5(f"{user}:{realm}:{password}"), _md5(f"{user}@{realm}:{realm}:{password}")


def account_realm(acc: VoipAccount) -> str:
    return acc.sip_domain or acc.sip_server


def set_hashes(acc: VoipAccount, box: SecretBox) -> None:
    user = acc.auth_name or acc.sip_username
    acc.sip_ha1, acc.sip_ha1b = digest_hashes(
        user, account_realm(acc), box.decrypt(acc.sip_password_enc)
    )


def _changed(acc: VoipAccount) -> bool:
    state = inspect(acc)
    if state.pending or not state.has_identity:
        return True
    return any(state.attrs[name].history.has_changes() for name in _HASH_INPUTS)


def refresh_hashes(session: Session) -> None:
    """Recomputes the hashes of every new or changed account of the flush (the hook in
    ``models``). A session without the server key cannot; such sessions never write passwords."""
    box = session.info.get("box")
    if not isinstance(box, SecretBox):
        return
    for obj in list(session.new) + list(session.dirty):
        if isinstance(obj, VoipAccount) and obj.sip_password_enc and _changed(obj):
            set_hashes(obj, box)


def backfill_hashes(s: Session, box: SecretBox) -> int:
    """Fills the hashes of accounts written before revision 0011 (only the server has the key
    to do it); returns how many."""
    n = 0
    for acc in s.scalars(select(VoipAccount).where(VoipAccount.sip_ha1 == "")):
        set_hashes(acc, box)
        n += 1
    return n


def group_label(name: str) -> str:
    """The X-Communicator-Group header's value: the group name as UTF-8, percent-encoded per
    RFC 3986 (everything but the unreserved ``A-Z a-z 0-9 - . _ ~``). A contract with the
    client, which decodes it to show the group and log it."""
    return quote(name, safe="")


def set_group_label(g: Group) -> None:
    g.sip_label = group_label(g.name)


def write_settings(s: Session, cfg: ServerConfig) -> None:
    """The settings the routing views read (``sip_settings``)."""
    wanted = {"agent_stale_s": int(cfg.agent_stale_s)}
    for name, value in wanted.items():
        row = s.get(SipSetting, name)
        if row is None:
            s.add(SipSetting(name=name, value=value))
        elif row.value != value:
            row.value = value


def prepare(s: Session, box: SecretBox, cfg: ServerConfig) -> None:
    """At server start: hashes of older rows, and the current settings."""
    backfill_hashes(s, box)
    write_settings(s, cfg)


def kamailio_db_url(sqlalchemy_url: str) -> str:
    """The database URL for Kamailio's db_sqlite or db_postgres module."""
    if sqlalchemy_url.startswith("sqlite:///"):
        return "sqlite://" + str(Path(sqlalchemy_url.removeprefix("sqlite:///")).resolve())
    scheme, sep, rest = sqlalchemy_url.partition("://")
    if sep and scheme.split("+", 1)[0] in ("postgresql", "postgres"):
        return "postgres://" + rest
    raise ValueError(f"Kamailio cannot read this database: {scheme or sqlalchemy_url!r}")
