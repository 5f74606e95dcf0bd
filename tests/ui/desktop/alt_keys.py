"""The Alt+letter keys a window offers (``&`` in a button's or a buddy label's text): two visible
controls on one letter make Qt move the focus between them instead of pressing either."""

from __future__ import annotations

from collections import defaultdict

from PySide6.QtWidgets import QAbstractButton, QLabel, QWidget


def alt_key(text: str) -> str | None:
    """The letter after the first single ``&`` (``&&`` is a literal ampersand)."""
    i = 0
    while (i := text.find("&", i)) != -1 and i + 1 < len(text):
        if text[i + 1] != "&":
            return text[i + 1].lower()
        i += 2
    return None


def alt_key_clashes(window: QWidget) -> dict[str, list[str]]:
    """The letters two or more visible controls of ``window`` take, with their texts."""
    taken: dict[str, list[str]] = defaultdict(list)
    for widget in window.findChildren(QWidget):
        if not widget.isVisible():
            continue
        if isinstance(widget, QAbstractButton) or (
            isinstance(widget, QLabel) and widget.buddy() is not None
        ):
            text = widget.text()
            if (key := alt_key(text)) is not None:
                taken[key].append(text)
    return {key: texts for key, texts in taken.items() if len(texts) > 1}
