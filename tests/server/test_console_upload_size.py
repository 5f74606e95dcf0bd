"""The console's CSV import takes the files its page promises (up to 8 MB): a file of a few
megabytes reaches the import and gets its answer (here the import's row limit), not the
request guard's 1 MiB refusal written for JSON bodies; a file just past 8 MB is refused on
the console's page, a much larger body by the guard (413)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import make_config
from .console_probe import Console, html_page, open_console


@pytest.fixture
def console(tmp_path: Path, sqlite_template: Path) -> Iterator[Console]:
    db = tmp_path / "server.sqlite3"
    shutil.copy(sqlite_template, db)
    with open_console(make_config(f"sqlite:///{db}", tmp_path)) as opened:
        yield opened


def test_a_file_of_a_few_megabytes_reaches_the_import(console: Console) -> None:
    rows = "".join(f"agent-{i:05d},{'N' * 100}\n" for i in range(25_000))
    text = "login,display_name\n" + rows
    assert len(text) > 2 << 20
    resp = console.post(
        "/admin/csv/agents-import", files={"file": ("big.csv", text.encode(), "text/csv")}
    )
    assert "at most 20000 agents in one import" in html_page(resp, 422)


def test_a_file_past_8_mb_is_refused_by_the_console(console: Console) -> None:
    text = "login,display_name\n" + "x" * (8 << 20)
    resp = console.post(
        "/admin/csv/agents-import", files={"file": ("huge.csv", text.encode(), "text/csv")}
    )
    assert "The file is larger than 8 MB." in html_page(resp, 422)
    resp = console.post(
        "/admin/csv/agents-import", files={"file": ("huge.csv", b"x" * (9 << 20), "text/csv")}
    )
    assert resp.status_code == 413
