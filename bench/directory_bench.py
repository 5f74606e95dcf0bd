"""Directory search benchmark: the longest the GUI thread is held by one keystroke in the
Directory tab's search (its own turn of the event loop, or one of the turns after it that lay
out the rows), for directories of 1,000, 3,000 and 10,000 entries.

The real `DirectoryView` bound to a signed-out `SessionModel` stand-in is not needed: the
keystroke's work is `DirectoryModel.set_search` (the rows that match) and the list view's
layout and paint of the rows in sight, measured here with the real model and a `QListView`
set up as the tab's. Reference in the same run: an item list (`QListWidget`) refilled with the
matching entries, as the tab did before the model. Medians of every keystroke of a typed
search repeated three times. The last line is one JSON object.

Usage: .venv/bin/python bench/directory_bench.py   (runs under Xvfb when there is no display)
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SIZES = (1000, 3000, 10000)
TYPED = ("", "p", "pe", "per", "pers", "3", "34", "345", "", "group 1", "")
"""A search typed and cleared: every keystroke is measured."""


def main() -> int:
    if not os.environ.get("DISPLAY") and os.environ.get("QT_QPA_PLATFORM") != "offscreen":
        return subprocess.call(["xvfb-run", "-a", sys.executable, __file__, *sys.argv[1:]])
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication, QListView, QListWidget, QListWidgetItem

    from communicator.provisioning.client import DirectoryEntry, DirectoryKind
    from communicator.ui.desktop.widgets.directory_view import (
        LAYOUT_BATCH,
        DirectoryModel,
        entry_matches,
        entry_text,
    )

    app = QApplication([])
    result: dict[str, object] = {"platform": app.platformName()}
    for size in SIZES:
        entries = tuple(
            DirectoryEntry(
                DirectoryKind.AGENT, f"Person {i:05d} Surname", str(1000 + i), f"Group {i % 17}"
            )
            for i in range(size)
        )
        items = QListWidget()
        items.resize(400, 500)
        items.show()

        def refill(
            text: str, items: QListWidget = items, entries: tuple[DirectoryEntry, ...] = entries
        ) -> None:
            items.clear()
            for entry in entries:
                if entry_matches(entry, text):
                    item = QListWidgetItem(entry_text(entry))
                    item.setData(Qt.ItemDataRole.UserRole, entry.extension)
                    items.addItem(item)
            if items.count():
                items.setCurrentRow(0)

        model = DirectoryModel()
        view = QListView()
        view.setModel(model)
        view.setUniformItemSizes(True)
        view.setLayoutMode(QListView.LayoutMode.Batched)
        view.setBatchSize(LAYOUT_BATCH)
        view.resize(400, 500)
        view.show()
        model.set_entries(entries)

        def search(text: str, model: DirectoryModel = model, view: QListView = view) -> None:
            model.set_search(text)
            if model.rowCount():
                view.setCurrentIndex(model.index(0, 0))

        def keystrokes(
            step: Callable[[str], None], after: int = size // LAYOUT_BATCH + 4
        ) -> list[float]:
            """Each keystroke's longest turn of the loop: the keystroke's own, or one of the
            turns after it that lay out the rest of the rows."""
            took = []
            for _ in range(3):
                for text in TYPED:
                    started = time.perf_counter()
                    step(text)
                    app.processEvents()
                    turns = [(time.perf_counter() - started) * 1000]
                    for _turn in range(after):
                        started = time.perf_counter()
                        app.processEvents()
                        turns.append((time.perf_counter() - started) * 1000)
                    took.append(max(turns))
            return took

        model_ms, items_ms = [], []
        for _ in range(2):  # interleaved
            model_ms += keystrokes(search)
            items_ms += keystrokes(refill)
        figures = {
            "model_ms": round(statistics.median(model_ms), 2),
            "model_max_ms": round(max(model_ms), 2),
            "item_list_ms": round(statistics.median(items_ms), 2),
        }
        print(
            f"{size} entries: {figures['model_ms']} ms per keystroke (max "
            f"{figures['model_max_ms']}); an item list refilled: {figures['item_list_ms']} ms"
        )
        result[f"keystroke_ms_{size}"] = figures["model_ms"]
        result[f"keystroke_max_ms_{size}"] = figures["model_max_ms"]
        result[f"item_list_keystroke_ms_{size}"] = figures["item_list_ms"]
        items.close()
        view.close()
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
