"""The Polish translation file: every entry translated (placeholders and shortcut markers kept),
the ``.ts`` matching the UI's ``translate`` calls (run ``scripts/translations.sh`` after changing
a text), the ``.qm`` the build compiles from it (not in git) loading and speaking Polish, and the
language the setting picks."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PySide6.QtCore import QLocale, QTranslator

from communicator.ui.i18n import TRANSLATIONS_DIR, ui_language

ROOT = Path(__file__).resolve().parents[2]
TS = TRANSLATIONS_DIR / "communicator_pl.ts"
QM = TRANSLATIONS_DIR / "communicator_pl.qm"
BIN = ROOT / ".venv" / "bin"
PLACEHOLDER = re.compile(r"\{\w*\}")


def entries() -> list[tuple[str, str, ET.Element]]:
    root = ET.parse(TS).getroot()
    found = []
    for context in root.iter("context"):
        name = context.findtext("name") or ""
        for message in context.iter("message"):
            translation = message.find("translation")
            assert translation is not None
            found.append((name, message.findtext("source") or "", translation))
    return found


def test_every_entry_is_translated_with_its_placeholders_and_one_shortcut_key() -> None:
    problems = []
    for context, source, translation in entries():
        text = translation.text or ""
        where = f"{context}: {source!r}"
        if translation.get("type") in {"unfinished", "vanished", "obsolete"} or not text.strip():
            problems.append(f"{where} is not translated")
            continue
        if sorted(PLACEHOLDER.findall(source)) != sorted(PLACEHOLDER.findall(text)):
            problems.append(f"{where}: placeholders differ in {text!r}")
        if source.count("&") != text.count("&"):
            problems.append(f"{where}: the shortcut marker (&) is lost in {text!r}")
    assert len(entries()) > 200
    assert problems == []


def tool(name: str) -> Path:
    path = BIN / name
    if not path.exists():
        found = shutil.which(name)
        if found is None:
            pytest.fail(f"{name} is missing (make venv installs it with PySide6)")
        path = Path(found)
    return path


def test_the_ts_file_holds_every_text_of_the_windows(tmp_path: Path) -> None:
    """lupdate over the UI sources adds nothing to (and drops nothing from) the committed file."""
    copy = tmp_path / TS.name
    shutil.copy(TS, copy)
    sources = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "communicator" / "ui").rglob("*.py"))
    subprocess.run(
        [
            str(tool("pyside6-lupdate")),
            *("-silent", "-no-obsolete", "-locations", "none"),
            *("-source-language", "en", "-target-language", "pl"),
            *sources,
            *("-ts", str(copy)),
        ],
        cwd=ROOT,
        check=True,
        timeout=120,
    )
    assert copy.read_text(encoding="utf-8") == TS.read_text(encoding="utf-8"), (
        "the UI's texts changed: run scripts/translations.sh and translate the new entries"
    )


def compile_ts(ts: Path, qm: Path) -> None:
    subprocess.run(
        [str(tool("pyside6-lrelease")), "-silent", str(ts), "-qm", str(qm)],
        check=True,
        timeout=60,
    )


def build_translations() -> Path:
    """The compiled ``.qm`` where the application loads it, built as ``make`` builds it when it
    is missing or older than its ``.ts`` (a test run without ``make``, on a fresh clone)."""
    if not QM.exists() or QM.stat().st_mtime < TS.stat().st_mtime:
        partial = QM.with_suffix(f".{os.getpid()}.partial")
        compile_ts(TS, partial)
        partial.replace(QM)
    return QM


def test_the_qm_is_not_in_git_but_built() -> None:
    """The build compiles the .qm (make venv/pytest/demo, the bundle's spec): git ignores it."""
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", str(QM)], cwd=ROOT, check=False, timeout=30
    )
    assert ignored.returncode == 0, "the .qm is a build product: keep it out of git"
    spec = (ROOT / "installers" / "communicator.spec").read_text(encoding="utf-8")
    assert "pyside6-lrelease" in spec


def test_the_ts_compiles_to_a_qm_that_speaks_polish(tmp_path: Path) -> None:
    compiled = tmp_path / QM.name
    compile_ts(TS, compiled)
    translator = QTranslator()
    assert translator.load(str(compiled))
    assert translator.translate("MainWindow", "Not signed in") == "Niezalogowany"
    built = build_translations()
    assert built.read_bytes() == compiled.read_bytes(), "make venv rebuilds an outdated .qm"


@pytest.mark.parametrize(
    ("choice", "system", "language"),
    [
        ("system", "pl_PL", "pl"),
        ("system", "de_DE", "en"),
        ("system", "en_GB", "en"),
        ("en", "pl_PL", "en"),
        ("pl", "en_US", "pl"),
    ],
)
def test_the_setting_picks_the_language(choice: str, system: str, language: str) -> None:
    assert ui_language(choice, QLocale(system)) == language
