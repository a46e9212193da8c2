"""Colours of the node categories and of the port types, shared by the canvas, the exports and the report."""

from __future__ import annotations

from planflow_qt.catalog.spec import Category, PortType

CATEGORY_COLORS: dict[Category, tuple[int, int, int]] = {
    Category.ROI: (46, 139, 87),
    Category.PLAN: (52, 101, 164),
    Category.OPTIMIZATION: (196, 120, 28),
    Category.DOSE: (178, 52, 52),
    Category.LOOP: (124, 77, 170),
    Category.CONDITION: (20, 140, 150),
    Category.LOGIC: (96, 110, 125),
    Category.FLOW: (140, 120, 60),
}

PORT_COLORS: dict[PortType, tuple[int, int, int]] = {
    PortType.PLAN: (225, 225, 230),
    PortType.ROI: (92, 200, 120),
    PortType.FUNCTION: (250, 170, 60),
    PortType.BOOL: (90, 200, 230),
    PortType.NUMBER: (200, 140, 240),
}

PRINT_PORT_COLORS: dict[PortType, tuple[int, int, int]] = {
    PortType.PLAN: (70, 76, 88),
    PortType.ROI: (40, 140, 70),
    PortType.FUNCTION: (200, 120, 20),
    PortType.BOOL: (20, 130, 170),
    PortType.NUMBER: (140, 80, 190),
}
"""Wire colours on white paper (the plan wire is dark instead of near-white)."""


def hex_color(rgb: tuple[int, ...]) -> str:
    """`(r, g, b)` as `#rrggbb`."""
    return "#{:02x}{:02x}{:02x}".format(*rgb[:3])
