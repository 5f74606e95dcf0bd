"""``communicator-server report`` and ``export``: call-log reports and configuration for PBXs
and registrars (Kamailio's db_text/SQL tables, the live-routing script fragment, Asterisk)."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import Any

from . import exports, kamailio_routing, sip_directory
from .cli_db import config_of, with_db
from .services import reports


def _date(value: str) -> dt.datetime:
    try:
        d = dt.datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date or time: {value!r}") from None
    try:
        return (d if d.tzinfo else d.replace(tzinfo=dt.UTC)).astimezone(dt.UTC)
    except (OverflowError, ValueError):
        raise argparse.ArgumentTypeError(f"outside the calendar in UTC: {value!r}") from None


def cmd_report(args: argparse.Namespace) -> int:
    f = reports.ReportFilter(
        agent=args.agent, group=args.group, number=args.number, start=args.start, end=args.end
    )
    total, rows = with_db(
        config_of(args),
        lambda s, _b: reports.report(s, f, limit=10_000_000),
        commit=False,
        needs_key=False,
    )
    if args.csv:
        write(args, reports.report_csv(rows))
        return 0
    for r in rows:
        print(
            f"{r.started_at:%Y-%m-%d %H:%M:%S}  {r.agent_login or '-':16} {r.direction:8} "
            f"{r.remote:24} {r.duration_s:8.1f}s {r.end_reason}"
        )
    print(f"{total} call(s)")
    return 0


def write(args: argparse.Namespace, text: str) -> None:
    out = getattr(args, "output", None)
    if out:
        Path(out).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


def cmd_export_kamailio(args: argparse.Namespace) -> int:
    if args.sql:
        text = with_db(
            config_of(args),
            lambda s, b: exports.kamailio_sql(s, b, args.dialect),
            commit=False,
        )
    else:
        text = with_db(config_of(args), exports.kamailio_dbtext, commit=False)
    write(args, text)
    return 0


def cmd_export_kamailio_routing(args: argparse.Namespace) -> int:
    """The Kamailio script fragment that reads this server's database live (issue 18)."""
    url = args.kamailio_db_url or sip_directory.kamailio_db_url(config_of(args).db_url)
    write(args, kamailio_routing.routing_fragment(url, rpc_port=args.rpc_port))
    return 0


def cmd_export_asterisk(args: argparse.Namespace) -> int:
    write(args, with_db(config_of(args), exports.asterisk_pjsip, commit=False))
    return 0


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    """Adds ``report`` and ``export ...`` to the command line's subcommands."""
    a = sub.add_parser("report", parents=[common], help="call log report")
    a.add_argument("--from", dest="start", type=_date)
    a.add_argument("--to", dest="end", type=_date)
    a.add_argument("--agent")
    a.add_argument("--group")
    a.add_argument("--number")
    a.add_argument("--csv", action="store_true")
    a.add_argument("-o", "--output")
    a.set_defaults(func=cmd_report)

    ex = sub.add_parser("export", help="PBX configuration").add_subparsers(
        dest="sub", required=True
    )
    a = ex.add_parser("kamailio", parents=[common], help="Kamailio subscriber table (db_text)")
    a.add_argument(
        "--sql", action="store_true", help="SQL INSERTs (ha1/ha1b, no passwords) instead of db_text"
    )
    a.add_argument(
        "--dialect",
        choices=exports.SQL_DIALECTS,
        default="mysql",
        help="quoting of the SQL export (default mysql)",
    )
    a.add_argument("-o", "--output")
    a.set_defaults(func=cmd_export_kamailio)
    a = ex.add_parser(
        "kamailio-routing",
        parents=[common],
        help="Kamailio script fragment (include_file) reading subscribers, aliases and group "
        "routing live from this server's database; no export to re-run",
    )
    a.add_argument(
        "--kamailio-db-url",
        help="the database as Kamailio reaches it (default: from --db; sqlite:///path or "
        "postgres://user:password@host:port/db)",
    )
    a.add_argument(
        "--rpc-port",
        type=int,
        help="also serve Kamailio's JSON-RPC on http://127.0.0.1:PORT/RPC (loopback only) "
        "for serve --kamailio-rpc",
    )
    a.add_argument("-o", "--output")
    a.set_defaults(func=cmd_export_kamailio_routing)
    a = ex.add_parser("asterisk", parents=[common], help="Asterisk pjsip.conf sections")
    a.add_argument("-o", "--output")
    a.set_defaults(func=cmd_export_asterisk)
