"""The Polish translation file: every entry translated (placeholders and shortcut markers kept),
the ``.ts`` matching the UI's ``translate`` calls, the committed ``.qm`` compiled from the ``.ts``
(run ``scripts/translations.sh`` after changing a text), and the language the setting picks."""

from __future__ import annotations

import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PySide6.QtCore import QLocale

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


def test_the_committed_qm_is_compiled_from_the_ts(tmp_path: Path) -> None:
    compiled = tmp_path / QM.name
    subprocess.run(
        [str(tool("pyside6-lrelease")), "-silent", str(TS), "-qm", str(compiled)],
        check=True,
        timeout=60,
    )
    assert compiled.read_bytes() == QM.read_bytes(), "run scripts/translations.sh"


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
