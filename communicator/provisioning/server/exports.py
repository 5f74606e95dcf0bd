"""PBX configuration exports: Kamailio subscriber table and Asterisk PJSIP sections."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import Agent, Group, VoipAccount
from .security import SecretBox

KAMAILIO_HEADER = (
    "id(int,auto) username(string) domain(string) password(string) ha1(string,null) "
    "ha1b(string,null)"
)

ASTERISK_CODECS = {
    "pcmu": "ulaw",
    "ulaw": "ulaw",
    "pcma": "alaw",
    "alaw": "alaw",
    "g722": "g722",
    "gsm": "gsm",
    "opus": "opus",
    "g729": "g729",
    "speex": "speex",
    "ilbc": "ilbc",
}

# Asterisk chan_sip nat= values (seed 004) mapped to the PJSIP endpoint options.
NAT_OPTIONS: dict[str, dict[str, str]] = {
    "yes": {
        "direct_media": "no",
        "rtp_symmetric": "yes",
        "force_rport": "yes",
        "rewrite_contact": "yes",
    },
    "force_rport": {
        "direct_media": "no",
        "rtp_symmetric": "no",
        "force_rport": "yes",
        "rewrite_contact": "yes",
    },
    "comedia": {
        "direct_media": "no",
        "rtp_symmetric": "yes",
        "force_rport": "no",
        "rewrite_contact": "no",
    },
    "route": {
        "direct_media": "no",
        "rtp_symmetric": "yes",
        "force_rport": "yes",
        "rewrite_contact": "no",
    },
    "no": {
        "direct_media": "yes",
        "rtp_symmetric": "no",
        "force_rport": "no",
        "rewrite_contact": "no",
    },
    "never": {
        "direct_media": "yes",
        "rtp_symmetric": "no",
        "force_rport": "no",
        "rewrite_contact": "no",
    },
}


@dataclass(frozen=True)
class ExportRow:
    account: VoipAccount
    agent: Agent | None
    group: Group | None
    password: str

    @property
    def domain(self) -> str:
        return self.account.sip_domain or self.account.sip_server


def _rows(s: Session, box: SecretBox) -> Iterator[ExportRow]:
    agents = {a.id: a for a in s.scalars(select(Agent)).all()}
    groups = {g.id: g for g in s.scalars(select(Group)).all()}
    for acc in s.scalars(
        select(VoipAccount).where(VoipAccount.active.is_(True)).order_by(VoipAccount.extension)
    ):
        agent = agents.get(acc.agent_id) if acc.agent_id is not None else None
        group = groups.get(agent.group_id) if agent and agent.group_id is not None else None
        yield ExportRow(acc, agent, group, box.decrypt(acc.sip_password_enc))


def _md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def _dbtext_escape(value: str) -> str:
    out = []
    for ch in value:
        if ch == "\\":
            out.append("\\\\")
        elif ch == ":":
            out.append("\\:")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\0":
            out.append("\\0")
        else:
            out.append(ch)
    return "".join(out)


def _ha1(row: ExportRow) -> tuple[str, str]:
    user, realm, pw = row.account.auth_name or row.account.sip_username, row.domain, row.password
    return _md5(f"{user}:{realm}:{pw}"), _md5(f"{user}@{realm}:{realm}:{pw}")


def kamailio_dbtext(s: Session, box: SecretBox) -> str:
    """The db_text ``subscriber`` file (version 7 of the table)."""
    lines = [KAMAILIO_HEADER]
    n = 0
    for row in _rows(s, box):
        if row.account.equipment_type != "sip_id":
            continue
        n += 1
        ha1, ha1b = _ha1(row)
        user = row.account.auth_name or row.account.sip_username
        fields = [str(n), user, row.domain, row.password, ha1, ha1b]
        lines.append(":".join(_dbtext_escape(f) for f in fields))
    return "\n".join(lines) + "\n"


SQL_DIALECTS = ("mysql", "postgresql")


def sql_literal(value: str, dialect: str = "mysql") -> str:
    """A string literal read back exactly, never as code. Backslashes and quotes are both
    escaped: MySQL's default mode reads a backslash as an escape, so doubling quotes alone
    would let ``\\'`` end the string. PostgreSQL gets the same escapes in an ``E''`` string
    (its plain strings take backslashes literally)."""
    if "\x00" in value:
        raise ValueError("a NUL character cannot be exported")
    body = value.replace("\\", "\\\\").replace("'", "''")
    return ("E'" if dialect == "postgresql" else "'") + body + "'"


def kamailio_sql(s: Session, box: SecretBox, dialect: str = "mysql") -> str:
    """INSERTs for a database-backed Kamailio (``subscriber`` table) in MySQL's (Kamailio's
    usual database) or PostgreSQL's quoting. Only ``ha1``/``ha1b`` are exported: the
    ``password`` column stays empty (Kamailio's ``auth_db`` with ``calculate_ha1`` 0 and
    ``password_column`` "ha1" needs no plaintext password)."""
    if dialect not in SQL_DIALECTS:
        raise ValueError(f"unknown SQL dialect {dialect!r}")

    def q(value: str) -> str:
        return sql_literal(value, dialect)

    out = [f"-- Kamailio subscriber table ({dialect}), generated by communicator-server", "BEGIN;"]
    for row in _rows(s, box):
        if row.account.equipment_type != "sip_id":
            continue
        ha1, ha1b = _ha1(row)
        user = row.account.auth_name or row.account.sip_username
        values = ", ".join(q(v) for v in (user, row.domain, "", ha1, ha1b))
        out.append(
            f"DELETE FROM subscriber WHERE username = {q(user)} AND domain = {q(row.domain)};"
        )
        out.append(
            f"INSERT INTO subscriber (username, domain, password, ha1, ha1b) VALUES ({values});"
        )
    out.append("COMMIT;")
    return "\n".join(out) + "\n"


_SECTION = re.compile(r"[^A-Za-z0-9_.\-+]")


def _callerid(row: ExportRow) -> str:
    name = row.account.caller_id or (row.agent.display_name if row.agent else "")
    name = name.replace('"', "").replace("\\", "")
    number = str(row.account.extension)
    return f'"{name}" <{number}>' if name else f"<{number}>"


def asterisk_pjsip(s: Session, box: SecretBox) -> str:
    """pjsip.conf sections (endpoint, auth, aor; identify for static-IP phones)."""
    out = ["; PJSIP endpoints generated by communicator-server", ""]
    for row in _rows(s, box):
        acc = row.account
        name = _SECTION.sub("_", acc.sip_username)
        codecs = [ASTERISK_CODECS.get(c.lower(), c.lower()) for c in acc.codecs]
        nat = NAT_OPTIONS.get(acc.pbx_nat, NAT_OPTIONS["force_rport"])
        level = row.agent.permission_level if row.agent else 10
        endpoint = [
            f"[{name}]",
            "type=endpoint",
            f"; chan_sip type={acc.peer_type} host={acc.pbx_host} nat={acc.pbx_nat}",
            f"context={acc.context}",
            "disallow=all",
            f"allow={','.join(dict.fromkeys(codecs))}",
            f"transport=transport-{acc.transports[0] if acc.transports else 'udp'}",
            f"aors={name}",
            f"callerid={_callerid(row)}",
        ]
        if acc.equipment_type == "sip_id":
            endpoint.append(f"auth={name}-auth")
        if acc.call_group:
            endpoint.append(f"call_group={acc.call_group}")
        if acc.pickup_group:
            endpoint.append(f"pickup_group={acc.pickup_group}")
        endpoint += [f"{k}={v}" for k, v in nat.items()]
        if acc.srtp != "disabled":
            endpoint.append("media_encryption=sdes")
            if acc.srtp == "optional":
                endpoint.append("media_encryption_optimistic=yes")
        endpoint.append(f"dtmf_mode={'info' if acc.dtmf == 'sip_info' else 'rfc4733'}")
        endpoint.append(f"set_var=PERMISSION_LEVEL={level}")
        endpoint.append(f"set_var=CHANSPY_ALLOWED={'yes' if acc.chanspy else 'no'}")
        endpoint.append(f"set_var=EXTENSION={acc.extension}")
        if acc.record_calls:
            endpoint.append(f"set_var=RECORD_FORMAT={acc.record_format}")
        if acc.video:
            endpoint.append("allow=h264")
        if row.agent:
            endpoint.append(f"set_var=AGENT_LOGIN={_SECTION.sub('_', row.agent.login)}")
        out += [*endpoint, ""]
        if acc.equipment_type == "sip_id":
            auth_user = acc.auth_name or acc.sip_username
            out += [
                f"[{name}-auth]",
                "type=auth",
                "auth_type=userpass",
                f"username={auth_user}",
                f"password={row.password}",
                f"realm={row.domain}",
                "",
            ]
        aor = [f"[{name}]", "type=aor", "max_contacts=1", "remove_existing=yes"]
        if acc.pbx_host != "dynamic":
            aor.append(f"contact=sip:{acc.sip_username}@{acc.pbx_host}")
        aor.append(f"qualify_frequency={max(acc.keepalive_s, 0)}")
        out += [*aor, ""]
        if acc.equipment_type == "static_ip" and acc.workstation_ip:
            out += [
                f"[{name}-identify]",
                "type=identify",
                f"endpoint={name}",
                f"match={acc.workstation_ip}",
                "",
            ]
    return "\n".join(out)
