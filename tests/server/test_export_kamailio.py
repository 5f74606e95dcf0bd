"""The Kamailio SQL export: quoting that MySQL's default mode (backslash escapes) and
PostgreSQL both read back exactly, never as code; ha1/ha1b instead of plaintext passwords."""

from __future__ import annotations

import hashlib
import re

import psycopg
import pytest

from .conftest import Api, PgCluster

EVIL_USERS = [
    "o'brien",
    "tail\\",
    "x\\');DROP/**/TABLE/**/subscriber;--",
    "a\\\\'b''c",
    "q\\nr",
]
SECRET = "s3cret-'\\-pw"
DOMAIN = "pbx.example.com"


def md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def mysql_statements(sql: str) -> list[list[str]]:
    """The string literals of each statement as MySQL reads them in its default mode (a
    backslash escapes the next character, '' is a quote); fails on anything unterminated."""
    statements: list[list[str]] = []
    current: list[str] = []
    i = 0
    while i < len(sql):
        ch = sql[i]
        if ch == "-" and sql.startswith("--", i):
            i = sql.index("\n", i)
            continue
        if ch == ";":
            statements.append(current)
            current = []
        elif ch == "'":
            value: list[str] = []
            i += 1
            while True:
                c = sql[i]  # IndexError: unterminated literal
                if c == "\\":
                    nxt = sql[i + 1]
                    value.append({"n": "\n", "t": "\t", "r": "\r", "0": "\0"}.get(nxt, nxt))
                    i += 2
                elif c == "'" and sql.startswith("''", i):
                    value.append("'")
                    i += 2
                elif c == "'":
                    break
                else:
                    value.append(c)
                    i += 1
            current.append("".join(value))
        elif ch.isalpha():
            word = re.match(r"[A-Za-z_][A-Za-z0-9_]*", sql[i:])
            assert word is not None
            if word.group() not in {
                "BEGIN",
                "COMMIT",
                "DELETE",
                "FROM",
                "subscriber",
                "WHERE",
                "username",
                "AND",
                "domain",
                "INSERT",
                "INTO",
                "password",
                "ha1",
                "ha1b",
                "VALUES",
            }:
                raise AssertionError(f"code outside a literal: {sql[i : i + 40]!r}")
            i += len(word.group())
            continue
        i += 1
    return statements


def make_accounts(api: Api) -> None:
    for n, user in enumerate(EVIL_USERS):
        api.account(sip_username=user, sip_password=f"{SECRET}{n}", sip_domain=DOMAIN)


def test_sql_export_reads_back_exactly_in_mysql_default_mode(api: Api) -> None:
    make_accounts(api)
    resp = api.c.get("/api/v1/admin/exports/kamailio", params={"format": "sql"}, headers=api.h)
    assert resp.status_code == 200
    statements = [s for s in mysql_statements(resp.text) if len(s) == 5]
    got = {values[0]: values for values in statements}
    assert set(got) == set(EVIL_USERS)
    for n, user in enumerate(EVIL_USERS):
        _user, domain, password, ha1, ha1b = got[user]
        assert domain == DOMAIN
        assert password == ""
        assert ha1 == md5(f"{user}:{DOMAIN}:{SECRET}{n}")
        assert ha1b == md5(f"{user}@{DOMAIN}:{DOMAIN}:{SECRET}{n}")


def test_sql_export_carries_no_plaintext_password(api: Api) -> None:
    make_accounts(api)
    for dialect in ("mysql", "postgresql"):
        text = api.c.get(
            "/api/v1/admin/exports/kamailio",
            params={"format": "sql", "dialect": dialect},
            headers=api.h,
        ).text
        assert "s3cret" not in text
        assert "INSERT INTO subscriber (username, domain, password, ha1, ha1b)" in text


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_sql_export_runs_on_postgresql(api: Api, pg_cluster: PgCluster) -> None:
    make_accounts(api)
    text = api.c.get(
        "/api/v1/admin/exports/kamailio",
        params={"format": "sql", "dialect": "postgresql"},
        headers=api.h,
    ).text
    url = pg_cluster.new_database()
    dbname = url.rsplit("/", 1)[1]
    with psycopg.connect(
        f"host=127.0.0.1 port={pg_cluster.port} user=postgres dbname={dbname}", autocommit=True
    ) as conn:
        conn.execute(
            "CREATE TABLE subscriber (id serial PRIMARY KEY, username varchar(64) NOT NULL,"
            " domain varchar(64) NOT NULL, password varchar(64) NOT NULL DEFAULT '',"
            " ha1 varchar(128) NOT NULL DEFAULT '', ha1b varchar(128) NOT NULL DEFAULT '')"
        )
        conn.execute(text.encode())
        conn.execute(text.encode())  # again: replaces, never duplicates
        rows = conn.execute("SELECT username, password, ha1 FROM subscriber").fetchall()
    assert sorted(r[0] for r in rows) == sorted(EVIL_USERS)
    for user, password, ha1 in rows:
        n = EVIL_USERS.index(user)
        assert password == ""
        assert ha1 == md5(f"{user}:{DOMAIN}:{SECRET}{n}")


def test_unknown_dialect_is_refused(api: Api) -> None:
    resp = api.c.get(
        "/api/v1/admin/exports/kamailio",
        params={"format": "sql", "dialect": "oracle"},
        headers=api.h,
    )
    assert resp.status_code == 422
