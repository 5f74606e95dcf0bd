#!/bin/sh
# The windows' translations (communicator/ui/i18n.py): refresh the Polish .ts from the UI's
# translate("Context", "text") calls (pyside6-lupdate), then compile the .qm that the
# application loads (pyside6-lrelease). The .ts is committed; the .qm is a build product (git
# ignores it; make venv/pytest/demo and the bundle's spec compile it). After this script,
# translate the new entries (Qt Linguist: .venv/bin/pyside6-linguist, or by hand: fill
# <translation> and drop type="unfinished") and run it again. tests/ui/test_translations.py
# checks that nothing is unfinished and that the .ts holds every text of the windows.
set -eu
cd "$(dirname "$0")/.."
BIN="${BIN:-.venv/bin}"
DIR=resources/translations
# shellcheck disable=SC2046  # one word per file
"$BIN/pyside6-lupdate" -silent -no-obsolete -locations none -source-language en \
    -target-language pl $(find communicator/ui -name '*.py' | sort) -ts "$DIR/communicator_pl.ts"
"$BIN/pyside6-lrelease" -silent "$DIR/communicator_pl.ts" -qm "$DIR/communicator_pl.qm"
