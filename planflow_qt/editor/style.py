"""Colours of the editor: node colours by category, wire colours by port type, run-state colours."""

from __future__ import annotations

from planflow_qt.catalog.spec import Category, PortType
from planflow_qt.engine.states import NodeState

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

STATE_COLORS: dict[str, tuple[int, int, int]] = {
    NodeState.PENDING: (130, 135, 145),
    NodeState.RUNNING: (64, 156, 255),
    NodeState.DONE: (70, 190, 90),
    NodeState.SKIPPED: (230, 180, 40),
    NodeState.FAILED: (235, 70, 70),
}

CANVAS_BACKGROUND = (38, 41, 46)
CANVAS_GRID = (48, 52, 58)
NODE_BODY = (50, 54, 61)
NODE_BORDER = (24, 26, 30)
NODE_TEXT = (235, 237, 240)
NODE_SUBTEXT = (170, 176, 186)
PROBLEM_RED = (230, 60, 60)
LOOP_ZONE = (124, 77, 170)
NOTE_COLOR = (90, 100, 115)

def hex_color(rgb: tuple[int, ...]) -> str:
    """`(r, g, b)` as `#rrggbb`."""
    return "#{:02x}{:02x}{:02x}".format(*rgb[:3])
