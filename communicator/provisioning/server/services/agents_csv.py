"""Agents as CSV: export, and an all-or-nothing import matched by login.

The import reads in two steps so that no password is hashed inside a database transaction:
``parse_agents_csv`` checks every row against the API's models (no database), the caller
hashes the passwords the rows carry, then ``import_agents`` applies the rows through
``services.audited`` (the API's services, with an audit entry each) and refuses them all
when any row is refused. Agent passwords are one-way hashes: the export never has them (its
``password`` column is there to be filled for an import).
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import changes
from ..api_models import AgentCreate, AgentFields
from ..csvsafe import CsvRow, read_csv, safe_cell, unsafe_cell
from ..errors import ApiError, Invalid
from ..guards import MAX_JSON_DEPTH, unstorable_text, value_depth
from ..models import Agent, Group
from . import audited

CSV_COLUMNS = [
    "login",
    "display_name",
    "email",
    "group",
    "active",
    "permission_level",
    "hot_desk",
    "wrap_up_s",
    "wrap_up_extension_s",
    "no_answer_s",
    "calls_while_not_ready",
    "screen_pop_url",
    "screen_pop_on",
    "not_ready_reasons",
    "password",
]
_BOOLS = {"active", "hot_desk", "calls_while_not_ready"}
_GROUPS_VALUE = {  # empty cell: the group's value (None)
    "wrap_up_s",
    "wrap_up_extension_s",
    "no_answer_s",
    "calls_while_not_ready",
    "screen_pop_url",
    "screen_pop_on",
    "not_ready_reasons",
}
MAX_ROWS = 20_000


@dataclasses.dataclass(frozen=True)
class AgentRow:
    line: int
    login: str
    data: dict[str, Any]  # the AgentFields body, group as a name under "group"
    password: str = dataclasses.field(repr=False)


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return json.dumps(value, ensure_ascii=False)
    return "" if value is None else str(value)


def export_agents_csv(s: Session) -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(CSV_COLUMNS)
    names = {g.id: g.name for g in s.scalars(select(Group))}
    for a in s.scalars(select(Agent).order_by(Agent.login)):
        values = {c: getattr(a, c, None) for c in CSV_COLUMNS}
        values["group"] = names.get(a.group_id) if a.group_id is not None else ""
        values["password"] = ""
        w.writerow([safe_cell(_cell(values[c])) for c in CSV_COLUMNS])
    return out.getvalue()


def _parse_cells(row: CsvRow) -> dict[str, Any]:
    if None in row:
        raise Invalid("more cells than the header has columns")
    data: dict[str, Any] = {}
    for key, raw in row.items():
        assert key is not None
        if key not in CSV_COLUMNS:
            raise Invalid(f"unknown column {key!r}")
        value = unsafe_cell((raw or "").strip())
        bad = unstorable_text(value, key)
        if bad is not None:
            raise Invalid(bad)
        if key == "password":
            continue
        if value == "":
            if key in _GROUPS_VALUE or key == "group":
                data[key] = None
            elif key in ("display_name", "email"):
                data[key] = ""
            continue
        if key in _BOOLS:
            if value.lower() not in ("yes", "no", "true", "false", "1", "0"):
                raise Invalid(f"{key}: write yes or no")
            data[key] = value.lower() in ("yes", "true", "1")
        elif key == "not_ready_reasons":
            try:
                reasons = json.loads(value)
            except (ValueError, RecursionError):
                raise Invalid(f'{key}: not JSON ([{{"code": ..., "label": ...}}])') from None
            if value_depth(reasons) > MAX_JSON_DEPTH:
                raise Invalid(f"{key}: nested deeper than {MAX_JSON_DEPTH} levels")
            data[key] = reasons
        else:
            data[key] = value
    return data


def parse_agents_csv(text: str) -> tuple[list[AgentRow], list[dict[str, Any]]]:
    """(rows, problems): every row checked against the API's models, no database."""
    header, lines = read_csv(text)
    if "login" not in header:
        raise Invalid("the CSV needs a header line with at least a login column")
    rows: list[AgentRow] = []
    problems: list[dict[str, Any]] = []
    for line_no, row in lines:
        if line_no - 1 > MAX_ROWS:
            raise Invalid(f"at most {MAX_ROWS} agents in one import")
        try:
            data = _parse_cells(row)
            password = unsafe_cell((row.get("password") or "").strip())
            body = {k: v for k, v in data.items() if k != "group"}
            if password:
                body["password"] = password
            AgentFields.model_validate(body)
        except ValidationError as exc:
            for err in exc.errors():
                loc = ".".join(str(x) for x in err["loc"])
                problems.append({"line": line_no, "field": loc, "message": err["msg"]})
            continue
        except Invalid as exc:
            problems.append({"line": line_no, "message": exc.message})
            continue
        login = str(data.get("login") or "")
        if not login:
            problems.append({"line": line_no, "field": "login", "message": "login is empty"})
            continue
        rows.append(AgentRow(line_no, login, data, password))
    seen: dict[str, int] = {}
    for r in rows:
        if r.login in seen:
            problems.append(
                {
                    "line": r.line,
                    "field": "login",
                    "message": f"login {r.login!r} is also on line {seen[r.login]}",
                }
            )
        seen.setdefault(r.login, r.line)
    return rows, problems


def import_agents(
    s: Session, who: str, rows: list[AgentRow], hashes: dict[int, str]
) -> tuple[int, int]:
    """(created, updated): every row or none (``Invalid`` with each row's problem).
    ``hashes`` maps a row's line to the hash of its password."""
    groups = {g.name: g.id for g in s.scalars(select(Group))}
    by_login = {a.login: a for a in s.scalars(select(Agent))}  # one query, not one a row
    created = updated = 0
    problems: list[dict[str, Any]] = []
    with changes.one_notice(s):  # one notice for the whole file
        for r in rows:
            data = dict(r.data)
            has_group = "group" in data
            group = data.pop("group", None)
            try:
                if has_group:
                    if group is not None and group not in groups:
                        raise Invalid(f"group {group!r} does not exist")
                    data["group_id"] = groups[group] if group is not None else None
                existing = by_login.get(r.login)
                # No savepoint per row: on SQLite (pysqlite) a SAVEPOINT opened before any write
                # of the transaction is committed by its RELEASE, which would keep the first row
                # of a refused file. A refused file rolls back as a whole anyway.
                if existing is None:
                    if r.line not in hashes:
                        raise Invalid("a new agent needs a password (8 characters or more)")
                    body = AgentCreate.model_validate({**data, "password": r.password})
                    audited.create_agent(s, who, body, hashes[r.line])
                    created += 1
                else:
                    data.pop("login", None)
                    fields = AgentFields.model_validate(data)
                    audited.update_agent(s, who, existing.id, fields, hashes.get(r.line))
                    updated += 1
            except ValidationError as exc:
                for err in exc.errors():
                    loc = ".".join(str(x) for x in err["loc"])
                    problems.append({"line": r.line, "field": loc, "message": err["msg"]})
            except ApiError as exc:
                problems.append({"line": r.line, "message": exc.message})
        if problems:
            raise Invalid(
                f"{len(problems)} problem(s) in the CSV; nothing was imported", problems=problems
            )
    return created, updated
