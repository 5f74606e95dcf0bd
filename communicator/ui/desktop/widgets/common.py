"""Small helpers every widget of the main window uses: accessible names in one call, and buttons
with an icon, a name, a description and (where it has one) the shortcut in the tooltip."""

from __future__ import annotations

from typing import TypeVar

from PySide6.QtCore import QSize
from PySide6.QtWidgets import QPushButton, QWidget

from communicator.ui.desktop.icons import icon
from communicator.ui.desktop.shortcuts import Action, with_key

W = TypeVar("W", bound=QWidget)

ICON_SIZE = QSize(20, 20)
"""In device-independent pixels: Qt scales it (and the SVG renders sharp) at 150 and 200 %."""


def describe(widget: W, name: str, description: str) -> W:
    """Set what a screen reader says for ``widget``: its name, then its description."""
    widget.setAccessibleName(name)
    widget.setAccessibleDescription(description)
    return widget


def keep_place(widget: QWidget) -> None:
    """``widget`` keeps its room in its layout while hidden: showing or hiding it moves nothing
    else (no layout shift under the agent's pointer, no whole window laid out and painted)."""
    policy = widget.sizePolicy()
    policy.setRetainSizeWhenHidden(True)
    widget.setSizePolicy(policy)


def action_button(
    text: str,
    description: str,
    icon_name: str | None = None,
    action: Action | None = None,
    parent: QWidget | None = None,
) -> QPushButton:
    button = QPushButton(text, parent)
    if icon_name:
        button.setIcon(icon(icon_name))
        button.setIconSize(ICON_SIZE)
    tip = with_key(description, action) if action is not None else description
    button.setToolTip(tip)
    describe(button, text, tip)
    return button
