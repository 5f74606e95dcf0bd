"""Dates at the ends of the calendar with offsets on the command line: a clear error, never a
traceback (the report's --from/--to)."""

from __future__ import annotations

from pathlib import Path

import pytest

from communicator.provisioning.server.cli import main


@pytest.mark.parametrize(
    "when",
    [
        "0001-01-01T00:00:00+14:00",
        "9999-12-31T23:59:59-14:00",
        "9999-12-31T23:59:59.999999-00:01",
        "not a date",
    ],
)
@pytest.mark.parametrize("bound", ["--from", "--to"])
def test_report_dates_at_the_calendar_ends(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], bound: str, when: str
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["report", bound, when, "--db", db_url, "--data-dir", str(tmp_path / "data")])
    assert exited.value.code == 2  # argparse's usage error
    err = capsys.readouterr().err
    assert bound in err and "Traceback" not in err


@pytest.mark.parametrize("when", ["0001-01-02", "9999-12-30T00:00:00+14:00", "2026-03-02"])
def test_report_dates_inside_the_calendar(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], when: str
) -> None:
    code = main(["report", "--from", when, "--db", db_url, "--data-dir", str(tmp_path / "data")])
    assert code == 0
    assert "0 call(s)" in capsys.readouterr().out
