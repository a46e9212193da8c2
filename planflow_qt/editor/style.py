"""Colours of the editor: run-state colours and the two themes the canvas paints with, the dark screen theme
and the light print theme of exports (node and wire colours by category and port type are in the catalog)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from planflow_qt.catalog.colors import PORT_COLORS, PRINT_PORT_COLORS
from planflow_qt.catalog.spec import PortType
from planflow_qt.engine.states import NodeState

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
WARNING_AMBER = (230, 170, 40)
LOOP_ZONE = (124, 77, 170)
NOTE_COLOR = (90, 100, 115)


@dataclass(frozen=True)
class Theme:
    """The colours the canvas paints with. `decorations`: run states and problem badges are drawn."""

    background: tuple[int, int, int]
    node_body: tuple[int, int, int]
    node_border: tuple[int, int, int]
    port_text: tuple[int, int, int]
    node_subtext: tuple[int, int, int]
    note: tuple[int, int, int]
    note_text: tuple[int, int, int]
    wires: dict[PortType, tuple[int, int, int]]
    decorations: bool


SCREEN = Theme(CANVAS_BACKGROUND, NODE_BODY, NODE_BORDER, NODE_TEXT, NODE_SUBTEXT, NOTE_COLOR, (200, 205, 212),
               PORT_COLORS, True)
PRINT = Theme((255, 255, 255), (255, 255, 255), (150, 156, 166), (40, 44, 52), (60, 66, 78), (110, 120, 136),
              (40, 44, 52), PRINT_PORT_COLORS, False)
_themes = [SCREEN]


def theme() -> Theme:
    """The theme being painted with."""
    return _themes[-1]


@contextmanager
def painting_with(chosen: Theme) -> Iterator[Theme]:
    """Paint with `chosen` inside the block (an export), with the screen theme again after it."""
    _themes.append(chosen)
    try:
        yield chosen
    finally:
        _themes.pop()
