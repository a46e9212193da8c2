"""The legacy optimization rounds: per round, evaluate the conditions on the current dose, create the conditional
ROIs whose condition holds, apply the adjustments whose condition holds, optimize, save."""

from __future__ import annotations

from dataclasses import dataclass, field

from planflow_qt.model.legacy.conditions import Condition, parse_condition
from planflow_qt.model.legacy.fields import Entry
from planflow_qt.model.legacy.functions import parse_function
from planflow_qt.model.legacy.graph import Graph
from planflow_qt.model.legacy.layout import Phase
from planflow_qt.model.legacy.rois import LEGACY_COLOR, add_boolean_roi
from planflow_qt.model.planning import FunctionSpec, Prescription
from planflow_qt.model.rounds import parse_rounds

ADD_NEW = "Add NEW function"
ADJUST_OLD = "Adjust OLD Function"
BOOLEAN = "Boolean operation"
FROM_DOSE = "Convert Dose to ROI"


@dataclass
class Rounds:
    """What the round loop needs from the rest of the file."""

    max_rounds: int
    conditions: list[Entry]
    condition_rois: list[Entry]
    adjustments: list[Entry]
    beam_names: dict[str, str]
    tags: frozenset[str]
    gates: dict[str, str] = field(default_factory=dict)
    dropped: dict[str, str] = field(default_factory=dict)
    parsed: dict[str, Condition] = field(default_factory=dict)
    roi_gates: dict[str, str] = field(default_factory=dict)
    begin: str = ""


def round_loop(g: Graph, loop: Rounds) -> None:
    """The loop zone: `loop.begin`, conditions, conditional ROIs, adjustments, optimize, save, `loop.end`."""
    loop.begin = g.add(Phase.CONDITIONS, "loop.begin", "rounds", {"max_rounds": loop.max_rounds},
                       title=f"Rounds (at most {loop.max_rounds})")
    g.chain(loop.begin)
    reserved = _added_tags(loop.adjustments)
    for entry in loop.conditions:
        _condition(g, loop, entry, reserved)
    for entry in loop.condition_rois:
        _condition_roi(g, loop, entry)
    _adjustments(g, loop)
    g.chain(g.add(Phase.END, "opt.run", "optimize", {}, title="Optimize"))
    g.chain(g.add(Phase.END, "flow.save", "save", {}, title="Save"))
    g.chain(g.add(Phase.END, "loop.end", "end-of-rounds", {}, title="End of rounds"))


def _condition(g: Graph, loop: Rounds, entry: Entry, reserved: set[str]) -> None:
    """A condition node on the round's plan; `reserved` are tags it must not take (they are referred to)."""
    condition = parse_condition(entry)
    if condition.name in loop.parsed:
        raise entry.error(f"condition name {condition.name!r} is also used by "
                          f"{loop.parsed[condition.name].entry.location()}: names must be unique", "name")
    loop.parsed[condition.name] = condition
    if condition.rounds is None:
        loop.dropped[condition.name] = "is never active (always false)"
        g.warnings.append(entry.say(f"active in no round ({entry.text('active_round', '')!r}): always false; "
                                    "what it gates is never done; left out"))
        return
    if condition.roi is not None and g.roi(condition.roi) is None:
        loop.dropped[condition.name] = "cannot be carried over"
        g.warnings.append(entry.say(f"ROI {condition.roi!r} {g.later[condition.roi]}: a condition cannot use an ROI "
                                    "the rounds create (PlanFlow passes it on only within a round); left out, with "
                                    "what it gates"))
        return
    title = condition.name or condition.type_id
    if condition.type_id == "cond.round":
        node = g.add(Phase.CONDITIONS, "cond.round", f"cond-{condition.name}", condition.params, title=title,
                     active_rounds=condition.rounds)
        g.wire(f"{loop.begin}.round", f"{node}.round")
    else:
        condition.params["name"] = g.unique_name(condition.name, entry, "condition name", reserved)
        node = g.add(Phase.CONDITIONS, "cond.dvh", f"cond-{condition.name}", condition.params, title=title,
                     active_rounds=condition.rounds)
        g.wire(loop.begin, node)
        g.wire_roi(condition.roi, f"{node}.roi")
    loop.gates[condition.name] = node


def _gate(g: Graph, loop: Rounds, entry: Entry, what: str) -> str | None:
    """The node whose result gates an entry, or None (with a warning) when its condition never holds."""
    name = entry.text("condition", "", max_length=64)
    if name in loop.gates:
        return loop.gates[name]
    reason = loop.dropped.get(name, "is not defined in check_conditions (never true)")
    g.warnings.append(entry.say(f"condition {name!r} {reason}: {what}; left out"))
    return None


def _condition_roi(g: Graph, loop: Rounds, entry: Entry) -> None:
    name = entry.text("roi_name", "", max_length=64)
    method = entry.text("method", "")
    if method not in (BOOLEAN, FROM_DOSE):
        raise entry.error(f"unknown method {method!r}; known: {BOOLEAN!r}, {FROM_DOSE!r}", "method")
    if not name:
        g.warnings.append(entry.say("no ROI name: skipped, as Planning-Flow does"))
        return
    gate = _gate(g, loop, entry, "the ROI is never created")
    if gate is None:
        g.later.pop(name, None)
        return
    if method == FROM_DOSE:
        dose = entry.build(Prescription, roi=name, dose_cgy=entry.number("convert_dose")).dose_cgy
        node = g.add(Phase.CONDITIONAL_ROIS, "roi.from_dose", f"roi-{name}",
                     {"name": name, "threshold_cgy": dose, "color": LEGACY_COLOR}, title=name)
        g.chain(node)
    else:
        node = add_boolean_roi(g, entry, name, Phase.CONDITIONAL_ROIS)
        if node is None:
            return
    g.wire(f"{gate}.result", f"{node}.when")
    g.provide(name, node)
    loop.roi_gates[name] = entry.text("condition", "")


def _added_tags(adjustments: list[Entry]) -> set[str]:
    """Tags that "Add NEW function" adjustments give (an "Adjust OLD" may target them)."""
    return {e.data["tag"].strip() for e in adjustments
            if isinstance(e.data.get("tag"), str) and e.data.get("adjustment") == ADD_NEW} - {""}


@dataclass
class _Adjustment:
    """An adjustment that can be carried over: its function (tag final), gate and kind."""

    entry: Entry
    spec: FunctionSpec
    condition: str
    updates: bool


def _adjustments(g: Graph, loop: Rounds) -> None:
    """All adjustments, in order; an "Adjust OLD" needs its function among those the flow defines."""
    start = len(g.warnings)
    pending = [a for a in (_prepare(g, loop, e) for e in loop.adjustments) if a is not None]
    added = {a.spec.tag for a in pending if not a.updates and a.spec.tag}
    for adjustment in pending:
        _emit(g, loop, adjustment, added)
    # Two passes wrote the warnings of this section; each starts `function_adjustments[i]`: list them by entry.
    g.warnings[start:] = sorted(g.warnings[start:], key=lambda w: int(w[w.index("[") + 1:w.index("]")]))


def _prepare(g: Graph, loop: Rounds, entry: Entry) -> _Adjustment | None:
    kind = entry.text("adjustment", "")
    if kind not in (ADD_NEW, ADJUST_OLD):
        raise entry.error(f"unknown adjustment {kind!r}; known: {ADD_NEW!r}, {ADJUST_OLD!r}", "adjustment")
    spec = parse_function(entry, loop.beam_names, g.warnings)
    if _gate(g, loop, entry, "the adjustment is never applied") is None:
        return None
    if g.roi(spec.roi) is None:
        g.warnings.append(entry.say(f"ROI {spec.roi!r} {g.later[spec.roi]}: the adjustment is left out"))
        return None
    condition = entry.text("condition", "")
    roi_gate = loop.roi_gates.get(spec.roi)
    if roi_gate is not None and roi_gate != condition:
        g.warnings.append(entry.say(f"ROI {spec.roi!r} is created only when {roi_gate!r} holds: in a round where it "
                                    "did not, the adjustment is skipped"))
    if kind == ADJUST_OLD:
        if not spec.tag:
            g.warnings.append(entry.say("'Adjust OLD Function' without a tag: nothing to adjust (left out)"))
            return None
        return _Adjustment(entry, spec, condition, updates=True)
    spec = spec.model_copy(update={"tag": g.unique_name(spec.tag, entry, "tag")})
    if _rounds_active(loop, condition) > 1:
        g.warnings.append(entry.say("added when its condition first holds; in later rounds where it holds "
                                    "PlanFlow updates that function where Planning-Flow added a duplicate"))
    return _Adjustment(entry, spec, condition, updates=False)


def _emit(g: Graph, loop: Rounds, adjustment: _Adjustment, added: set[str]) -> None:
    entry, spec = adjustment.entry, adjustment.spec
    if adjustment.updates and spec.tag not in loop.tags:
        if spec.tag not in added:
            g.warnings.append(entry.say(f"no function is tagged {spec.tag!r}: nothing to adjust (left out)"))
            return
        g.warnings.append(entry.say(f"{spec.tag!r} is a function added in the rounds: in a round before it was "
                                    "added, PlanFlow adds it where Planning-Flow changed nothing"))
    params = spec.model_dump(mode="json", exclude_defaults=True, exclude={"roi"})
    params.update(type=spec.type.value, tag=spec.tag)
    if adjustment.updates:
        params["updates_existing"] = True
    title = f"{'Adjust' if adjustment.updates else 'Add'} {spec.tag or spec.roi}"
    node = g.add(Phase.ADJUSTMENTS, "opt.function", f"fn-{spec.tag or spec.roi}", params, title=title)
    g.chain(node)
    g.wire_roi(spec.roi, f"{node}.roi")
    g.wire(f"{loop.gates[adjustment.condition]}.result", f"{node}.when")


def _rounds_active(loop: Rounds, condition: str) -> int:
    """In how many of the loop's rounds the condition can hold."""
    rounds = parse_rounds(loop.parsed[condition].rounds or "")
    return sum(1 for r in range(1, loop.max_rounds + 1) if r in rounds)
