"""``communicator-server``: run the server and administer it from the command line."""

from __future__ import annotations

import argparse
import contextlib
import copy
import datetime as dt
import getpass
import logging
import os
import resource
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, get_args

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from . import changes, cli_exports, sip_directory, workers
from .api_models import AccountCreate, AgentCreate, CallOrderName, GroupCreate
from .cli_db import config_of, with_db
from .cli_exports import write as _write
from .errors import ApiError
from .keycheck import ServerKeyMismatchError
from .models import Agent, Group
from .security import SecretBox, hash_password
from .services import (
    accounts,
    accounts_csv,
    admin_users,
    agents,
    groups,
    numbering,
    pool,
    sessions,
)

log = logging.getLogger("communicator.server")


def _raise_fd_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        target = hard if hard != resource.RLIM_INFINITY else 1 << 20
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


class PathOnly(logging.Filter):
    """Access-log lines name the path without its query (report filters carry logins and
    numbers): nothing from a request's data reaches the log."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], args[2].split("?", 1)[0], *args[3:])
        return True


def _uvicorn_logging() -> dict[str, Any]:
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["path_only"] = {"()": PathOnly}
    config["handlers"]["access"]["filters"] = ["path_only"]
    return config


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from .api import create_app

    cfg = config_of(args)
    _raise_fd_limit()
    app: Any
    # Migrate and settle the key once, here; the registrar's view of the accounts (digest
    # hashes of older rows) and its settings are brought up to date (issue 18).
    with_db(cfg, lambda s, b: sip_directory.prepare(s, b, cfg))
    if args.workers > 1:
        os.environ[workers.CONFIG_ENV] = workers.config_to_env(cfg)
        app = f"{workers.__name__}:app"
    else:
        app = create_app(cfg)
        workers.freeze_start_up()
    scheme = "https" if args.ssl_certfile else "http"
    log.info(
        "serving on %s://%s:%d (database %s, %d process%s)",
        scheme,
        args.host,
        args.port,
        cfg.engine_name(),
        args.workers,
        "es" if args.workers > 1 else "",
    )
    uvicorn.run(
        app,
        factory=args.workers > 1,
        workers=args.workers if args.workers > 1 else None,
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        log_config=_uvicorn_logging(),
        access_log=args.access_log,
        timeout_graceful_shutdown=3,
        backlog=4096,
        timeout_keep_alive=30,
        ssl_certfile=args.ssl_certfile,
        ssl_keyfile=args.ssl_keyfile,
        proxy_headers=args.forwarded_allow_ips is not None,
        forwarded_allow_ips=args.forwarded_allow_ips,
    )
    return 0


def cmd_admin_create(args: argparse.Namespace) -> int:
    cfg = config_of(args)
    days = cfg.admin_token_ttl_days if args.expires_in_days is None else args.expires_in_days
    if days < 1:
        print(
            "error: --expires-in-days must be 1 or more (every admin token expires)",
            file=sys.stderr,
        )
        return 2
    ttl = dt.timedelta(days=days)
    token = with_db(
        cfg, lambda s, _b: sessions.create_admin_token(s, args.name, ttl), needs_key=False
    )
    print(token)
    return 0


def cmd_admin_list(args: argparse.Namespace) -> int:
    rows = with_db(
        config_of(args), lambda s, _b: sessions.list_admin_tokens(s), commit=False, needs_key=False
    )
    print(f"{'ID':>5}  {'NAME':24} {'CREATED':16} {'EXPIRES':16} STATUS")
    for r in rows:
        expires = f"{r.expires_at:%Y-%m-%d %H:%M}" if r.expires_at else "-"
        print(f"{r.id:>5}  {r.name:24} {r.created_at:%Y-%m-%d %H:%M} {expires:16} {r.status}")
    return 0


def cmd_admin_revoke(args: argparse.Namespace) -> int:
    revoked, missing = with_db(
        config_of(args), lambda s, _b: sessions.revoke_admin_tokens(s, args.ids), needs_key=False
    )
    for i in revoked:
        print(f"revoked {i}")
    for i in missing:
        print(f"no admin token {i}", file=sys.stderr)
    return 1 if missing else 0


def cmd_admin_create_user(args: argparse.Namespace) -> int:
    password = _password(args, f"Password for {args.name}: ")
    try:
        admin_users.check_password_rule(password)
        pw_hash = hash_password(password)
        run = lambda s, _b: admin_users.create_user(s, args.name, pw_hash).id  # noqa: E731
        print(with_db(config_of(args), run, needs_key=False))
    except ApiError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1
    return 0


def _password(args: argparse.Namespace, prompt: str) -> str:
    if getattr(args, "password_env", None):
        value = os.environ.get(args.password_env)
        if not value:
            raise SystemExit(f"${args.password_env} is empty")
        return value
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    return getpass.getpass(prompt)


def cmd_agents_add(args: argparse.Namespace) -> int:
    password = _password(args, f"Password for {args.login}: ")
    body = AgentCreate(
        login=args.login,
        password=password,
        display_name=args.name or "",
        email=args.email or "",
        permission_level=args.permission_level,
    )
    pw_hash = hash_password(password)

    def run(s: Session, _box: SecretBox) -> int:
        group_id = None
        if args.group:
            g = s.scalar(select(Group).where(Group.name == args.group))
            if g is None:
                g = groups.create_group(s, config_of(args), GroupCreate(name=args.group))
            group_id = g.id
        a = agents.create_agent(s, body, pw_hash)
        a.group_id = group_id
        return a.id

    print(with_db(config_of(args), run))
    return 0


def cmd_agents_list(args: argparse.Namespace) -> int:
    def run(s: Session, _box: SecretBox) -> list[Any]:
        return [agents.agent_out(s, a) for a in s.scalars(select(Agent).order_by(Agent.login))]

    rows = with_db(config_of(args), run, commit=False, needs_key=False)
    print(f"{'ID':>5}  {'LOGIN':20} {'NAME':24} {'GROUP':16} {'EXT':>5} ACTIVE")
    for r in rows:
        print(
            f"{r.id:>5}  {r.login:20} {r.display_name:24} {r.group or '-':16} "
            f"{r.extension if r.extension is not None else '-':>5} {'yes' if r.active else 'no'}"
        )
    return 0


def cmd_groups_add(args: argparse.Namespace) -> int:
    cfg = config_of(args)
    fields: dict[str, Any] = {"call_order": args.call_order, "ring_time_s": args.ring_time}
    body = GroupCreate(
        name=args.name,
        extension=args.extension,
        email=args.email or "",
        **{k: v for k, v in fields.items() if v is not None},
    )
    print(with_db(cfg, lambda s, _b: groups.create_group(s, cfg, body).id))
    return 0


def cmd_accounts_add(args: argparse.Namespace) -> int:
    cfg = config_of(args)
    password = _password(args, f"SIP password for {args.username}: ")

    def run(s: Session, box: SecretBox) -> str:
        data: dict[str, Any] = {
            "sip_username": args.username,
            "sip_password": password,
            "sip_server": args.server,
        }
        if args.agent:
            agent = agents.agent_by_login(s, args.agent)
            if agent is None:
                raise ApiError(f"agent {args.agent!r} does not exist")
            data["agent_id"] = agent.id
        for key in ("extension", "sip_port", "sip_domain", "phone_number", "country_code"):
            value = getattr(args, key)
            if value is not None:
                data[key] = value
        if args.transport:
            data["transports"] = args.transport
        acc = accounts.create_account(s, cfg, box, AccountCreate.model_validate(data))
        return f"{acc.id} extension {acc.extension}"

    print(with_db(cfg, run))
    return 0


def cmd_accounts_list(args: argparse.Namespace) -> int:
    rows = with_db(
        config_of(args), lambda s, _b: accounts.account_rows(s), commit=False, needs_key=False
    )
    print(f"{'ID':>5}  {'AGENT':24} {'GROUP':16} {'PHONE NUMBER':16} {'EXT':>5} SIP USER")
    for r in rows:
        if r.agent:
            agent = r.agent
        elif not r.pool:
            agent = "(not lent)"  # a desk phone, a static-IP account
        else:
            agent = f"(pool, used by {r.in_use_by})" if r.in_use_by else "(pool)"
        print(
            f"{r.id:>5}  {agent:24} {r.group or '-':16} {r.phone_number or '-':16} "
            f"{r.extension:>5} {r.sip_username}"
        )
    return 0


def cmd_accounts_delete(args: argparse.Namespace) -> int:
    deleted, missing = with_db(config_of(args), lambda s, _b: accounts.delete_accounts(s, args.ids))
    for i in deleted:
        print(f"deleted {i}")
    for i in missing:
        print(f"no account {i}", file=sys.stderr)
    return 1 if missing else 0


def cmd_accounts_release(args: argparse.Namespace) -> int:
    def run(s: Session, _box: SecretBox) -> list[str]:
        done = []
        for account_id in args.ids:
            acc = pool.release_account(s, account_id)
            done.append(f"released {acc.id} extension {acc.extension}")
        return done

    for line in with_db(config_of(args), run):
        print(line)
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    cfg = config_of(args)
    text = Path(args.csv).read_text(encoding="utf-8-sig")

    def run(s: Session, box: SecretBox) -> tuple[int, int]:
        with changes.one_notice(s), numbering.extensions_held(s):
            return accounts_csv.import_accounts_csv(s, cfg, box, text)

    created, updated = with_db(cfg, run)
    print(f"created {created}, updated {updated}")
    return 0


def cmd_export_accounts(args: argparse.Namespace) -> int:
    text = with_db(
        config_of(args),
        lambda s, b: accounts_csv.export_accounts_csv(s, b, with_passwords=args.with_passwords),
        commit=False,
    )
    _write(args, text)
    return 0


def _positive(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number from 1 up: {value!r}")
    return n


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="communicator-server", description=__doc__)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", help="database URL (postgresql://...) or SQLite file path")
    common.add_argument("--data-dir", help="where the default database and server key live")
    common.add_argument("--extensions", help="extension range, default 100-999")
    common.add_argument(
        "--kamailio-rpc",
        dest="kamailio_rpc",
        metavar="URL",
        help="Kamailio's JSON-RPC over HTTP (e.g. http://127.0.0.1:5071/RPC, see export "
        "kamailio-routing --rpc-port; default $COMMUNICATOR_KAMAILIO_RPC): a deleted or "
        "deactivated account's, a changed password's or a rotated pool number's "
        "registrations are removed at once",
    )
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("serve", parents=[common], help="run the HTTP API")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8080)
    s.add_argument("--recordings-dir", help="where uploaded call recordings are stored")
    s.add_argument("--ssl-certfile", help="serve HTTPS with this certificate (PEM)")
    s.add_argument("--ssl-keyfile", help="the certificate's private key (PEM)")
    s.add_argument(
        "--forwarded-allow-ips",
        help="trust X-Forwarded-For from these proxies (load balancer), e.g. 10.0.0.5",
    )
    s.add_argument(
        "--workers",
        type=_positive,
        default=1,
        help="server processes sharing the port and the database (default 1); on PostgreSQL "
        "they push changes to each other by LISTEN/NOTIFY, on SQLite through a change table",
    )
    s.add_argument("--log-level", default="info")
    s.add_argument("--access-log", action="store_true")
    s.add_argument("--heartbeat", dest="heartbeat_s", type=float)
    s.add_argument("--session-ttl", dest="session_ttl_s", type=int)
    s.add_argument(
        "--lease-idle",
        dest="lease_idle_s",
        type=int,
        help="end a pool lease when the client has not reported its state for this many "
        "seconds (default 180)",
    )
    s.add_argument(
        "--agent-stale",
        dest="agent_stale_s",
        type=int,
        help="group calls skip an agent whose client has not reported its state for this many "
        "seconds (default 150)",
    )
    s.add_argument("--signin-burst-per-address", type=int)
    s.add_argument("--signin-rate-per-address", type=float)
    s.add_argument("--signin-burst-per-agent", type=int)
    s.add_argument("--signin-rate-per-agent", type=float)
    s.set_defaults(func=cmd_serve)

    adm = sub.add_parser("admin", help="admin tokens").add_subparsers(dest="sub", required=True)
    a = adm.add_parser("create", parents=[common], help="create an admin token and print it")
    a.add_argument("--name", default="admin")
    a.add_argument("--expires-in-days", type=int, help="lifetime of the token (default 90 days)")
    a.set_defaults(func=cmd_admin_create)
    a = adm.add_parser("list", parents=[common], help="list admin tokens (never the tokens)")
    a.set_defaults(func=cmd_admin_list)
    a = adm.add_parser("revoke", parents=[common], help="revoke admin tokens by id")
    a.add_argument("ids", type=int, nargs="+")
    a.set_defaults(func=cmd_admin_revoke)
    a = adm.add_parser("create-user", parents=[common], help="admin console user (password stdin)")
    a.add_argument("name")
    a.add_argument("--password-env", help="read the password from this environment variable")
    a.set_defaults(func=cmd_admin_create_user)

    ag = sub.add_parser("agents", help="agents").add_subparsers(dest="sub", required=True)
    a = ag.add_parser("add", parents=[common], help="add an agent (password from stdin/tty)")
    a.add_argument("login")
    a.add_argument("--name")
    a.add_argument("--email")
    a.add_argument("--group", help="group name (created when missing)")
    a.add_argument("--permission-level", type=int, default=10)
    a.add_argument("--password-env", help="read the password from this environment variable")
    a.set_defaults(func=cmd_agents_add)
    a = ag.add_parser("list", parents=[common], help="list agents")
    a.set_defaults(func=cmd_agents_list)

    gr = sub.add_parser("groups", help="groups").add_subparsers(dest="sub", required=True)
    a = gr.add_parser("add", parents=[common], help="add a group")
    a.add_argument("name")
    a.add_argument("--extension", type=int)
    a.add_argument("--email")
    a.add_argument(
        "--call-order",
        choices=get_args(CallOrderName),
        help="how a call to the group's extension rings the members (default simultaneous)",
    )
    a.add_argument("--ring-time", type=int, help="seconds each member rings (one at a time orders)")
    a.set_defaults(func=cmd_groups_add)

    ac = sub.add_parser("accounts", help="VoIP accounts").add_subparsers(dest="sub", required=True)
    a = ac.add_parser("add", parents=[common], help="add a VoIP account (password stdin/tty)")
    a.add_argument("username")
    a.add_argument("--server", required=True)
    a.add_argument("--agent", help="agent login (omit: the account goes to the pool)")
    a.add_argument("--extension", type=int)
    a.add_argument("--sip-port", type=int)
    a.add_argument("--sip-domain")
    a.add_argument("--phone-number")
    a.add_argument("--country-code")
    a.add_argument("--transport", action="append", choices=["udp", "tcp", "tls"])
    a.add_argument("--password-env", help="read the SIP password from this environment variable")
    a.set_defaults(func=cmd_accounts_add)
    a = ac.add_parser("list", parents=[common], help="list accounts (agent, group, phone number)")
    a.set_defaults(func=cmd_accounts_list)
    a = ac.add_parser("delete", parents=[common], help="delete accounts (extensions recycled)")
    a.add_argument("ids", type=int, nargs="+")
    a.set_defaults(func=cmd_accounts_delete)
    a = ac.add_parser(
        "release",
        parents=[common],
        help="take pool numbers back from whoever holds them (a crashed client); "
        "their SIP passwords change",
    )
    a.add_argument("ids", type=int, nargs="+")
    a.set_defaults(func=cmd_accounts_release)
    a = ac.add_parser("export", parents=[common], help="export accounts as CSV")
    a.add_argument("--with-passwords", action="store_true")
    a.add_argument("-o", "--output")
    a.set_defaults(func=cmd_export_accounts)

    a = sub.add_parser("import", parents=[common], help="import accounts.csv")
    a.add_argument("csv")
    a.set_defaults(func=cmd_import)

    cli_exports.add_parsers(sub, common)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except ApiError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        for p in exc.problems:
            print(f"  {p}", file=sys.stderr)
        return 2
    except ServerKeyMismatchError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    except ValidationError as exc:
        for err in exc.errors():
            loc = ".".join(str(x) for x in err["loc"])
            print(f"error: {loc}: {err['msg']}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
