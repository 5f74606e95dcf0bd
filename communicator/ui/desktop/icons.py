"""The window's icons: vector SVGs from ``resources/icons/``, sharp at 100, 150 and 200 % scaling.

`QIcon` hands SVG files to Qt's SVG icon engine, which renders each size at the screen's device
pixel ratio when it is painted, so nothing is scaled from a bitmap. Icons are loaded once and
kept (the same `QIcon` is shared by every button that shows it).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from PySide6.QtGui import QIcon

ICON_DIR = Path(__file__).resolve().parents[3] / "resources" / "icons"


def icon_path(name: str) -> Path:
    return ICON_DIR / f"{name}.svg"


@cache
def icon(name: str) -> QIcon:
    """The icon called ``name`` (``"answer"``, ``"hold"``...); an empty icon if it is missing,
    so a packaging mistake costs a picture, never the window."""
    path = icon_path(name)
    return QIcon(str(path)) if path.is_file() else QIcon()


def icon_names() -> tuple[str, ...]:
    return tuple(sorted(p.stem for p in ICON_DIR.glob("*.svg")))
