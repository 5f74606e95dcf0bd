"""Reports page (issue 17, seed 001): call logs filtered by agent, group, number and period,
with totals, call quality, a CSV download and recordings played in the browser.

Every figure comes from ``services.reports`` (the JSON API's query and CSV; the download's
rows are read by ``calls_csv``, the same cells from plain rows): the page adds the form, the
paging and a recording route behind the console's sign-in.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from sqlalchemy import select

from ..api_models import ReportRow
from ..errors import NotFound
from ..models import Agent, Group
from ..routers.deps import State
from ..services import call_logs, reports
from . import calls_csv
from .auth import PREFIX, Admin
from .numbers import number
from .render import PAGE_HEADERS, add_page, page

router = APIRouter(prefix=PREFIX, include_in_schema=False)

PAGE_SIZE = 50
CSV_LIMIT = 100_000
"""The most rows one CSV download holds (the JSON API's own ceiling)."""

# <audio> loads the recording from the console: media-src, on top of the console's policy.
REPORTS_CSP = PAGE_HEADERS["Content-Security-Policy"] + "; media-src 'self'"
EARLIEST = dt.date(1970, 1, 1)


@dataclasses.dataclass(frozen=True)
class ReportForm:
    agent: str = ""
    group: str = ""
    number: str = ""
    start: str = ""
    end: str = ""
    errors: dict[str, str] = dataclasses.field(default_factory=dict)

    def query(self, **extra: Any) -> str:
        values = {"agent": self.agent, "group": self.group, "number": self.number}
        values.update({"from": self.start, "to": self.end})
        values.update({k: str(v) for k, v in extra.items()})
        return urlencode({k: v for k, v in values.items() if v})

    def report_filter(self) -> reports.ReportFilter:
        """The period is whole days in UTC: from the first day's start to the last day's end."""
        start, end = _day(self.start), _day(self.end)
        return reports.ReportFilter(
            agent=self.agent or None,
            group=self.group or None,
            number=self.number or None,
            start=start,
            end=end + dt.timedelta(days=1) if end else None,
        )


def _day(value: str) -> dt.datetime | None:
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        return None
    if day < EARLIEST or day.year > 9998:
        return None
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)


def read_form(request: Request) -> ReportForm:
    q = request.query_params
    start, end = q.get("from", "").strip()[:10], q.get("to", "").strip()[:10]
    errors = {}
    if start and _day(start) is None:
        errors["from"] = "Not a date (YYYY-MM-DD)."
    if end and _day(end) is None:
        errors["to"] = "Not a date (YYYY-MM-DD)."
    if not errors and start and end and end < start:
        errors["to"] = "The period ends before it starts."
    return ReportForm(
        agent=q.get("agent", "").strip()[:100],
        group=q.get("group", "").strip()[:100],
        number=q.get("number", "").strip()[:64],
        start=start,
        end=end,
        errors=errors,
    )


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    total = round(seconds)
    h, rest = divmod(total, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def quality_text(quality: dict[str, Any] | None) -> tuple[str, str]:
    """(MOS with its level, loss and jitter both ways) or ("", "") without figures."""
    if not quality:
        return "", ""
    mos, level = quality.get("mos"), quality.get("level")
    head = f"MOS {mos:.1f}" if isinstance(mos, int | float) else ""
    if level:
        head = f"{head} ({level})" if head else str(level)
    parts = []
    for side, label in (("rx", "received"), ("tx", "sent")):
        loss, jitter = quality.get(f"{side}_loss_pct"), quality.get(f"{side}_jitter_ms")
        if isinstance(loss, int | float) and isinstance(jitter, int | float):
            parts.append(f"{label}: loss {loss:.1f} %, jitter {jitter:.0f} ms")
    return head, "; ".join(parts)


def _choices(s: Any) -> tuple[list[tuple[str, str]], list[str]]:
    agents = [
        (str(login), str(name))
        for login, name in s.execute(
            select(Agent.login, Agent.display_name).order_by(Agent.display_name, Agent.login)
        )
    ]
    groups = [str(g) for g in s.scalars(select(Group.name).order_by(Group.name))]
    return agents, groups


@router.get("/reports")
async def reports_page(request: Request, state: State, admin: Admin) -> HTMLResponse:
    form = read_form(request)
    q = request.query_params
    page_no = max(1, number(q.get("page"), 6) or 1)
    total, rows, sums = 0, list[ReportRow](), None
    errors = dict(form.errors)
    if not errors:
        f = form.report_filter()

        def run(s: Any) -> tuple[int, list[Any], reports.ReportTotals]:
            # The totals count the logs: the page is not made to count them again.
            sums = reports.totals(s, f)
            offset = (page_no - 1) * PAGE_SIZE
            count, shown = reports.report(s, f, limit=PAGE_SIZE, offset=offset, total=sums.calls)
            return count, shown, sums

        try:
            total, rows, sums = await state.read(run)
        except NotFound as exc:
            field = "agent" if str(exc).startswith("agent") else "group"
            errors[field] = f"No such {field}."
    agents, groups = await state.read(_choices)
    resp = page(
        request,
        "reports.html",
        nav="reports",
        status=422 if errors else 200,
        admin=admin,
        csrf=admin.csrf_token,
        form=form,
        errors=errors,
        total=total,
        rows=rows,
        sums=sums,
        agents=agents,
        groups=groups,
        page_no=page_no,
        pages=max(1, (total + PAGE_SIZE - 1) // PAGE_SIZE),
        duration=duration,
        quality_text=quality_text,
    )
    resp.headers["Content-Security-Policy"] = REPORTS_CSP
    return resp


@router.get("/reports/calls.csv")
async def reports_csv(request: Request, state: State, admin: Admin) -> Response:
    form = read_form(request)
    if form.errors:
        return Response("The report's dates are wrong.", status_code=422, media_type="text/plain")
    f, base = form.report_filter(), str(request.base_url).rstrip("/")
    try:
        text = await state.read(lambda s: calls_csv.calls_csv(s, f, base, CSV_LIMIT))
    except NotFound as exc:
        return Response(str(exc), status_code=404, media_type="text/plain")
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": 'attachment; filename="calls.csv"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.get("/reports/recordings/{log_id}")
async def recording(state: State, admin: Admin, log_id: uuid.UUID) -> Response:
    """The recording for the page's <audio> (range requests answered by FileResponse)."""
    try:
        name, ctype = await state.read(call_logs.recording_of, log_id)
    except NotFound:
        return Response("No such recording.", status_code=404, media_type="text/plain")
    path = state.cfg.recordings_dir / name
    if not path.is_file():
        return Response("The recording file is missing.", status_code=404, media_type="text/plain")
    return FileResponse(
        path,
        media_type=ctype,
        filename=name,
        content_disposition_type="inline",
        headers={"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"},
    )


add_page("reports", "Reports", f"{PREFIX}/reports", 60, {})
