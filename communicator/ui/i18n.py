"""The windows' language: Qt's own translation mechanism (``QTranslator`` and ``.qm`` files).

Every user-visible string in the UI goes through `translate` (Qt's
``QCoreApplication.translate`` with an explicit context, which ``pyside6-lupdate`` extracts:
a call must read ``translate("Context", "literal text")``). The sources are English; Polish is
``resources/translations/communicator_pl.ts`` (``scripts/translations.sh`` runs lupdate, a
translator edits it in Qt Linguist). The compiled ``.qm`` is a build product, not in git: the
build compiles it beside the ``.ts`` with lrelease (``make venv``, ``make pytest``, ``make demo``
for a checkout; ``installers/communicator.spec`` for the bundle), so nothing compiles at run
time. Without it the windows speak English (and the log says why);
``tests/ui/test_translations.py`` fails when an entry is unfinished or a text of the windows is
missing from the ``.ts``.

The language is chosen once, at start (`install_translators`): the user's setting (``en``,
``pl``) or, for ``system``, the first of the system's UI languages that ships (English
otherwise). A change in the Settings dialog applies at the next start (the dialog says so):
retranslating live would mean every widget re-reading its texts on ``LanguageChange``.
Qt's own ``qtbase_<lang>.qm`` (standard dialog buttons, context menus of text fields) comes
from the PySide6 wheel's translations directory.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

log = logging.getLogger(__name__)

TRANSLATIONS_DIR = Path(__file__).resolve().parents[2] / "resources" / "translations"
SHIPPED = ("en", "pl")
"""The languages the windows speak (English is the source language: no file)."""

_installed: list[QTranslator] = []
_current = {"language": "en"}
"""The language installed last (a module-level table: no ``global``)."""


def translate(context: str, text: str, disambiguation: str | None = None, n: int = -1) -> str:
    """``text`` in the installed language (itself when none is installed or it is missing)."""
    return QCoreApplication.translate(context, text, disambiguation, n)


def QT_TRANSLATE_NOOP(context: str, text: str) -> str:  # noqa: N802 (the name lupdate reads)
    """Marks ``text`` for translation in ``context`` where it is defined (a module-level table,
    read before a translator is installed); `translate` it where it is shown."""
    del context
    return text


def ui_language(choice: str, system: QLocale | None = None) -> str:
    """The shipped language for the setting ``choice`` (``system``, ``en``, ``pl``)."""
    if choice in SHIPPED:
        return choice
    for name in (system or QLocale.system()).uiLanguages():
        code = name.replace("_", "-").split("-")[0].lower()
        if code in SHIPPED:
            return code
    return "en"


def installed_language() -> str:
    """The language the windows speak now (``en`` until `install_translators` installs one)."""
    return _current["language"]


def ui_locale() -> QLocale:
    """The locale that formats dates and numbers in the windows' language: the system's own when
    it speaks that language (its country's conventions), else the language's own."""
    language = QLocale(installed_language()).language()
    system = QLocale.system()
    locale = system if system.language() == language else QLocale(language)
    locale.setNumberOptions(QLocale.NumberOption.OmitGroupSeparator)  # 1234 ms, not 1,234 ms
    return locale


def install_translators(choice: str, app: QCoreApplication | None = None) -> str:
    """Install the translators for ``choice`` (replacing earlier ones); the language used."""
    app = app or QCoreApplication.instance()
    if app is None:
        raise RuntimeError("install_translators needs the QApplication")
    for old in _installed:
        app.removeTranslator(old)
    _installed.clear()
    _current["language"] = "en"
    language = ui_language(choice)
    if language == "en":
        return language
    ours = QTranslator(app)
    if not ours.load(f"communicator_{language}", str(TRANSLATIONS_DIR)):
        log.warning("no translation for %s in %s: English", language, TRANSLATIONS_DIR)
        return "en"
    _current["language"] = language
    qt = QTranslator(app)
    qt_dir = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    for translator, loaded in ((ours, True), (qt, qt.load(f"qtbase_{language}", qt_dir))):
        if loaded and app.installTranslator(translator):
            _installed.append(translator)
    return language
