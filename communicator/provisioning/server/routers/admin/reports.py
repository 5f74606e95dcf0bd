"""Admin: call reports, recordings, and the PBX exports (Kamailio, Asterisk)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, JSONResponse, PlainTextResponse, Response

from ... import exports
from ...api_models import Report
from ...errors import Invalid, NotFound
from ...services import call_logs, reports
from ..deps import State

router = APIRouter()

REPORT_EARLIEST = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
REPORT_LATEST = dt.datetime(9999, 1, 1, tzinfo=dt.UTC)


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    """A report bound in UTC; out-of-range dates are the client's mistake (422), not a 500."""
    if value is None:
        return None
    value = value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
    try:
        utc = value.astimezone(dt.UTC)
    except OverflowError:
        utc = None
    if utc is None or not REPORT_EARLIEST <= utc < REPORT_LATEST:
        raise Invalid("report dates must lie between 1970-01-01 and 9998-12-31")
    return utc


@router.get(
    "/reports/calls",
    response_model=Report,
    responses={200: {"content": {"text/csv": {}}}},
    summary="Call logs filtered by agent, group, number and period (JSON or CSV)",
)
async def report_calls(  # noqa: PLR0917
    request: Request,
    state: State,
    agent: Annotated[str | None, Query(max_length=100)] = None,
    group: Annotated[str | None, Query(max_length=100)] = None,
    number: Annotated[str | None, Query(max_length=64)] = None,
    start: Annotated[dt.datetime | None, Query(alias="from")] = None,
    end: Annotated[dt.datetime | None, Query(alias="to")] = None,
    format: Literal["json", "csv"] = "json",
    limit: Annotated[int, Query(ge=1, le=100_000)] = 1000,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> Response:
    f = reports.ReportFilter(
        agent=agent, group=group, number=number, start=_aware(start), end=_aware(end)
    )
    total, rows = await state.read(lambda s: reports.report(s, f, limit=limit, offset=offset))
    if format == "csv":
        base = str(request.base_url).rstrip("/")
        return Response(
            reports.report_csv(rows, base),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="calls.csv"'},
        )
    return JSONResponse(Report(total=total, rows=rows).model_dump(mode="json"))


@router.get(
    "/call-logs/{log_id}/recording",
    responses={200: {"content": {"audio/wav": {}}}},
    summary="Listen to or download a call recording",
)
async def get_recording(log_id: uuid.UUID, state: State, download: bool = False) -> Response:
    name, ctype = await state.read(call_logs.recording_of, log_id)
    path = state.cfg.recordings_dir / name
    if not path.is_file():
        raise NotFound(f"the recording file of call {log_id} is missing")
    return FileResponse(
        path,
        media_type=ctype,
        filename=name,
        content_disposition_type="attachment" if download else "inline",
    )


@router.get(
    "/exports/kamailio",
    response_class=PlainTextResponse,
    summary="Kamailio subscriber table: db_text file, or SQL with ha1/ha1b only",
)
async def export_kamailio(
    state: State,
    format: Literal["dbtext", "sql"] = "dbtext",
    dialect: Annotated[
        Literal["mysql", "postgresql"],
        Query(description="Quoting of the SQL export: MySQL/MariaDB (default) or PostgreSQL."),
    ] = "mysql",
) -> Response:
    if format == "sql":
        return PlainTextResponse(await state.read(exports.kamailio_sql, state.box, dialect))
    return PlainTextResponse(await state.read(exports.kamailio_dbtext, state.box))


@router.get(
    "/exports/asterisk",
    response_class=PlainTextResponse,
    summary="Asterisk pjsip.conf sections",
)
async def export_asterisk(state: State) -> Response:
    return PlainTextResponse(await state.read(exports.asterisk_pjsip, state.box))
