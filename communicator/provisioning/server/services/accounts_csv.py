"""Accounts as CSV: export (passwords optional) and all-or-nothing import by sip_username."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..api_models import AccountCreate, AccountFields
from ..config import ServerConfig
from ..csvsafe import CsvRow, read_csv, safe_cell, unsafe_cell
from ..errors import Conflict, Invalid, NotFound
from ..guards import MAX_JSON_DEPTH, unstorable_text, value_depth
from ..models import Agent, Group, VoipAccount
from ..security import SecretBox
from .accounts import ACCOUNT_COLUMNS, create_account, update_account
from .agents import agent_by_login

CSV_COLUMNS = ["agent", "group", *ACCOUNT_COLUMNS, "sip_password"]
MAX_ROWS = 20_000
"""The most accounts one import takes (as the agents' import)."""
MAX_PROBLEMS = 100
"""An import stops at this many refused rows: it imports nothing anyway, and every row after
costs its look-ups inside the write transaction (a file of 50,000 rows, 49,100 of them past
the free numbers, held the database's write lock for over three minutes)."""
_LIST_COLUMNS = {"transports", "codecs"}


def _csv_value(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True)
    return "" if value is None else str(value)


def export_accounts_csv(s: Session, box: SecretBox, *, with_passwords: bool) -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(CSV_COLUMNS)
    agents = {a.id: a for a in s.scalars(select(Agent)).all()}
    groups = {g.id: g for g in s.scalars(select(Group)).all()}
    for acc in s.scalars(select(VoipAccount).order_by(VoipAccount.extension)):
        agent = agents.get(acc.agent_id) if acc.agent_id is not None else None
        group = groups.get(agent.group_id) if agent and agent.group_id is not None else None
        row = [agent.login if agent else "", group.name if group else ""]
        row += [_csv_value(getattr(acc, c)) for c in ACCOUNT_COLUMNS]
        row.append(box.decrypt(acc.sip_password_enc) if with_passwords else "")
        w.writerow([safe_cell(cell) for cell in row])
    return out.getvalue()


def _parse_csv_row(row: CsvRow) -> dict[str, Any]:
    data: dict[str, Any] = {}
    bad = unstorable_text({k: v for k, v in row.items() if isinstance(k, str)})
    if bad is not None:
        raise Invalid(bad)
    for key, raw in row.items():
        if key in (None, "agent", "group"):
            continue
        value = unsafe_cell((raw or "").strip())
        if key not in AccountFields.model_fields:
            raise Invalid(f"unknown column {key!r}")
        if value == "" and key not in ("caller_id", "phone_number", "country_code"):
            continue
        if key in _LIST_COLUMNS:
            data[key] = value.replace(",", " ").split()
        elif key == "forwarding":
            try:
                forwarding = json.loads(value)
            except RecursionError:
                raise Invalid(f"forwarding: nested deeper than {MAX_JSON_DEPTH} levels") from None
            if value_depth(forwarding) > MAX_JSON_DEPTH:
                raise Invalid(f"forwarding: nested deeper than {MAX_JSON_DEPTH} levels")
            bad = unstorable_text(forwarding, key)
            if bad is not None:
                raise Invalid(bad)
            data[key] = forwarding
        else:
            ann = str(AccountFields.model_fields[key].annotation)
            if "bool" in ann:
                data[key] = value.lower() in ("yes", "true", "1", "y", "on")
            else:
                data[key] = value
    return data


def import_accounts_csv(
    s: Session, cfg: ServerConfig, box: SecretBox, text: str
) -> tuple[int, int]:
    """Creates or updates accounts (matched by sip_username). All rows or none: the file is
    refused with the problems of its first ``MAX_PROBLEMS`` refused rows."""
    header, lines = read_csv(text)
    if "sip_username" not in header:
        raise Invalid("the CSV needs a header line with at least a sip_username column")
    rows = list(lines)
    if len(rows) > MAX_ROWS:
        raise Invalid(f"at most {MAX_ROWS} accounts in one import")
    created = updated = 0
    problems: list[dict[str, Any]] = []
    refused: set[int] = set()
    for line_no, row in rows:
        if len(refused) >= MAX_PROBLEMS:
            break
        try:
            data = _parse_csv_row(row)
            login = unsafe_cell((row.get("agent") or "").strip())
            if login:
                agent = agent_by_login(s, login)
                if agent is None:
                    raise NotFound(f"agent {login!r} does not exist")
                data["agent_id"] = agent.id
            existing = s.scalar(
                select(VoipAccount).where(VoipAccount.sip_username == data.get("sip_username"))
            )
            with s.begin_nested():
                if existing is None:
                    create_account(s, cfg, box, AccountCreate.model_validate(data))
                    created += 1
                else:
                    data.pop("sip_username", None)
                    update_account(s, cfg, box, existing.id, AccountFields.model_validate(data))
                    updated += 1
        except ValidationError as exc:
            for err in exc.errors():
                loc = ".".join(str(x) for x in err["loc"])
                problems.append({"line": line_no, "field": loc, "message": err["msg"]})
            refused.add(line_no)
        except (Invalid, Conflict, NotFound, ValueError) as exc:
            problems.append({"line": line_no, "message": str(exc)})
            refused.add(line_no)
    if problems:
        more = f" (the first {MAX_PROBLEMS} refused rows)" if len(refused) >= MAX_PROBLEMS else ""
        raise Invalid(
            f"{len(problems)} problem(s) in the CSV{more}; nothing was imported",
            problems=problems,
        )
    return created, updated
