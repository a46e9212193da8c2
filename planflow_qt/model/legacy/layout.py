"""Layout of an imported flow: one column per legacy step, in run order, framed by a note titled with the step."""

from __future__ import annotations

from enum import Enum

from planflow_qt.model.document import Node, Note

COLUMN_WIDTH = 400.0
ROW_HEIGHT = 120.0
MARGIN = 30.0
NODE_WIDTH = 320.0


class Phase(str, Enum):
    """The legacy steps, in the order the legacy tool runs them; the value is the step's name in its designer."""

    MATCH = "Step 1: Match ROI"
    PLAN = "Step 2: Technique Configuration"
    AUTOMATE = "Step 4: Automate ROI"
    GOALS = "Step 3: Plan Configuration"
    FUNCTIONS = "Step 5: Initial Function"
    SETTINGS = "Step 6: Optimization Settings and Final Calculation"
    CONDITIONS = "Step 7: Check Conditions"
    CONDITIONAL_ROIS = "Step 8: Conditional ROI Creation"
    ADJUSTMENTS = "Step 9: Function Adjustment"
    END = "Step 10: End Planning Flow"


NOTES = {
    Phase.MATCH: "ROIs of the case, found by name or one of the possible names.",
    Phase.PLAN: "New plan and beam set, prescription, isocenter, then the beams.",
    Phase.AUTOMATE: "Helper ROIs by boolean operations, in their order.",
    Phase.GOALS: "Clinical goals from the template, with the matched ROIs.",
    Phase.FUNCTIONS: "Initial objectives and constraints, then the robustness settings.",
    Phase.SETTINGS: "Optimization settings and final dose algorithm, then the first optimization.",
    Phase.CONDITIONS: "Each round starts by evaluating every condition on the current dose.",
    Phase.CONDITIONAL_ROIS: "ROIs created in a round when their condition holds.",
    Phase.ADJUSTMENTS: "Functions added or changed in a round when their condition holds.",
    Phase.END: "Optimize and save, once per round.",
}


def lay_out(placed: list[tuple[Phase, Node]]) -> list[Note]:
    """Place the nodes in columns by phase (x grows with the phase), stacked in run order; one note per column."""
    columns: dict[Phase, list[Node]] = {}
    for phase, node in placed:
        columns.setdefault(phase, []).append(node)
    notes = []
    for index, phase in enumerate(p for p in Phase if p in columns):
        x = index * COLUMN_WIDTH
        nodes = columns[phase]
        for row, node in enumerate(nodes):
            node.pos = (x, row * ROW_HEIGHT)
        height = len(nodes) * ROW_HEIGHT + MARGIN
        notes.append(Note(title=phase.value, text=NOTES[phase],
                          rect=(x - MARGIN, -2 * MARGIN, NODE_WIDTH + 2 * MARGIN, height + MARGIN)))
    return notes
