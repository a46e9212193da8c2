"""Boolean ROIs of legacy files (BOOL): operands A and B with margins (cm), an operation, a result margin."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from planflow_qt.model.legacy.fields import Entry
from planflow_qt.model.planning import BooleanOperation, Margin, MarginType, RoiOperand

if TYPE_CHECKING:
    from planflow_qt.model.legacy.graph import Graph
    from planflow_qt.model.legacy.layout import Phase

OPERATIONS = {"Union": BooleanOperation.UNION, "Intersect": BooleanOperation.INTERSECTION,
              "Intersection": BooleanOperation.INTERSECTION, "Subtract": BooleanOperation.SUBTRACTION,
              "Subtraction": BooleanOperation.SUBTRACTION, "None": BooleanOperation.NONE}
_DIRECTIONS = {"Superior": "superior_cm", "Inferior": "inferior_cm", "Right": "right_cm", "Left": "left_cm",
               "Anterior": "anterior_cm", "Posterior": "posterior_cm"}
LEGACY_COLOR = "White"
"""Planning-Flow created its ROIs white, of type Control."""


@dataclass
class Boolean:
    """A boolean ROI: the flow names of operands A and B (None: no B) and the roi.algebra parameters."""

    a: str
    b: str | None
    params: dict[str, Any]


def parse_margin(entry: Entry) -> Margin:
    """`{margin_type, margins: {Superior: "0.50", ...}}` (cm) as a Margin; empty fields are 0."""
    kind = entry.text("margin_type", "Expand") or "Expand"
    if kind not in ("Expand", "Contract"):
        raise entry.error(f"{kind!r} is neither 'Expand' nor 'Contract'", "margin_type")
    margins = entry.entry("margins")
    values = {field: margins.number(key, 0.0) for key, field in _DIRECTIONS.items()}
    return entry.build(Margin, type=MarginType(kind), **values)


def parse_boolean(config: Entry, name: str, warnings: list[str]) -> Boolean:
    """A `boolean_config` creating ROI `name`; B is dropped (with a warning) when it cannot apply."""
    operation_text = config.text("operation", "Union") or "Union"
    operation = OPERATIONS.get(operation_text)
    if operation is None:
        raise config.error(f"unknown operation {operation_text!r}; known: Union, Intersect, Subtract, None",
                           "operation")
    roi_a, roi_b = config.entry("roi_a"), config.entry("roi_b")
    a = roi_a.text("name", "", max_length=64)
    if not a:
        raise config.error("no ROI A: a boolean ROI needs at least one operand", "roi_a.name")
    b = roi_b.text("name", "", max_length=64) or None
    if operation is not BooleanOperation.NONE and b is None:
        warnings.append(config.say(f"operation {operation_text!r} without ROI B: the result is ROI A with its "
                                   "margins"))
        operation = BooleanOperation.NONE
    if operation is BooleanOperation.NONE:
        b = None
    params: dict[str, Any] = {
        "name": name, "color": LEGACY_COLOR,
        "a": _operand(roi_a), "operation": operation.value,
        "result_margin": parse_margin(config.entry("output")).model_dump(mode="json", exclude_defaults=True)}
    if b is not None:
        params["b"] = _operand(roi_b)
    return Boolean(a, b, params)


def _operand(entry: Entry) -> dict[str, Any]:
    return RoiOperand(margin=parse_margin(entry)).model_dump(mode="json", exclude_defaults=True)


def add_boolean_roi(g: Graph, entry: Entry, name: str, phase: Phase) -> str | None:
    """The roi.algebra node of a legacy boolean ROI, wired to the nodes providing its operands; None (with a
    warning) when the entry has no boolean or uses an ROI that is not available."""
    if not isinstance(entry.data.get("boolean_config"), dict):
        g.warnings.append(entry.say("no boolean operation: nothing to create (skipped)"))
        g.later.pop(name, None)
        return None
    boolean = parse_boolean(entry.entry("boolean_config"), name, g.warnings)
    missing = [r for r in (boolean.a, boolean.b) if r is not None and g.roi(r) is None]
    if missing:
        g.warnings.append(entry.say(f"uses ROI {missing[0]!r}, which {g.later[missing[0]]}: skipped"))
        g.later.pop(name, None)
        return None
    node = g.add(phase, "roi.algebra", f"roi-{name}", boolean.params, title=name)
    g.wire_roi(boolean.a, f"{node}.a")
    if boolean.b is not None:
        g.wire_roi(boolean.b, f"{node}.b")
    return node
