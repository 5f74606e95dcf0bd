"""The directory list's rows: what a search keeps, and which rows can be called."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from communicator.provisioning.client import DirectoryEntry, DirectoryKind
from communicator.ui.desktop.widgets.directory_view import NAME_ROLE, DirectoryModel

ANNA = DirectoryEntry(DirectoryKind.AGENT, "Anna Agent", "2001", "Support")
BERT = DirectoryEntry(DirectoryKind.AGENT, "Bert Colleague", None, "Sales")
SUPPORT = DirectoryEntry(DirectoryKind.GROUP, "Support", "800")


def texts(model: DirectoryModel) -> list[str]:
    return [model.index(row, 0).data() for row in range(model.rowCount())]


def test_a_search_keeps_the_entries_whose_name_number_or_group_contains_it(qtbot: Any) -> None:
    model = DirectoryModel()
    model.set_entries((ANNA, BERT, SUPPORT))
    assert texts(model) == [
        "Anna Agent (Support) · 2001",
        "Bert Colleague (Sales) · no number now",
        "Support · 800",
    ]
    model.set_search("  SUPP ")
    assert texts(model) == ["Anna Agent (Support) · 2001", "Support · 800"]
    model.set_search("200")
    assert texts(model) == ["Anna Agent (Support) · 2001"]
    model.set_search("agent2001")  # never across two fields
    assert texts(model) == []
    # New entries arriving keep the search.
    model.set_entries((BERT, SUPPORT))
    assert texts(model) == []
    model.set_search("")
    assert model.rowCount() == 2


def test_a_row_carries_its_number_and_name_and_one_without_a_number_is_not_enabled(
    qtbot: Any,
) -> None:
    model = DirectoryModel()
    model.set_entries((ANNA, BERT))
    anna, bert = model.index(0, 0), model.index(1, 0)
    assert (anna.data(Qt.ItemDataRole.UserRole), anna.data(NAME_ROLE)) == ("2001", "Anna Agent")
    assert anna.flags() & Qt.ItemFlag.ItemIsEnabled
    assert not bert.flags() & Qt.ItemFlag.ItemIsEnabled
    assert model.entry(1) is BERT and model.entry(2) is None
    assert model.first_callable() == 0
    model.set_entries((BERT, ANNA))  # the first row has no number now
    assert model.first_callable() == 1
    model.set_search("bert")
    assert model.first_callable() is None
