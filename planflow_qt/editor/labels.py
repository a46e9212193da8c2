"""What a node says on the canvas: its title and a one-line summary of its parameters, in planning terms."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from planflow_qt.catalog.spec import NodeType
from planflow_qt.model.document import Node


def _plan(p: Any) -> str:
    return f"{p.name} · {p.technique.value} · {p.fractions} fx"


def _prescription(p: Any) -> str:
    kind = {"DoseAtVolume": f"D{p.volume_percent:g}%", "MedianDose": "median", "AverageDose": "mean"}
    return f"{kind.get(p.kind.value, p.kind.value)} = {p.dose_cgy:g} cGy"


def _created(p: Any) -> str:
    return f"→ {p.name}"


def _dvh(p: Any) -> str:
    return f"{p.short_name()} {p.comparison.value} {p.threshold:g}"


def _adjust(p: Any) -> str:
    verb = {"set": "=", "scale": "×", "add": "+", "achieved_factor": "achieved ×"}[p.mode.value]
    test = f" if value {p.only_if_value.value} {p.value_threshold:g}" if p.only_if_value else ""
    return f"{p.field.value} {verb} {p.amount:g}{test}"


SUMMARIES: dict[str, Callable[[Any], str]] = {
    "roi.match": lambda p: p.name + (f" (+{len(p.aliases)} aliases)" if p.aliases else ""),
    "roi.algebra": _created,
    "roi.margin": _created,
    "roi.ring": lambda p: f"→ {p.name} ({p.inward_cm:g} in, {p.outward_cm:g} out cm)",
    "roi.from_dose": lambda p: f"→ {p.name} ≥ {p.threshold_cgy:g} cGy",
    "plan.create": _plan,
    "plan.prescription": _prescription,
    "plan.isocenter": lambda p: p.method.replace("_", " "),
    "plan.vmat_arcs": lambda p: f"{len(p.arcs)} arc{'s' * (len(p.arcs) != 1)}",
    "plan.impt_beams": lambda p: f"{len(p.beams)} beam{'s' * (len(p.beams) != 1)}",
    "plan.clinical_goals": lambda p: p.template or f"{len(p.goals)} goals",
    "opt.settings": lambda p: f"{p.iterations} iterations",
    "opt.function": lambda p: p.describe() + (f" [{p.tag}]" if p.tag else ""),
    "opt.function_table": lambda p: f"{len(p.functions)} functions",
    "opt.adjust": _adjust,
    "dose.final": lambda p: p.algorithm.value,
    "loop.begin": lambda p: f"at most {p.max_rounds} rounds",
    "loop.end": lambda p: "stop when idle" if p.stop_when_idle else "",
    "cond.dvh": _dvh,
    "cond.function_value": lambda p: f"{p.aggregate.value} {p.comparison.value} {p.threshold:g}",
    "cond.goal": lambda p: f"goals: {p.scope.value}",
    "cond.round": lambda p: f"rounds {p.rounds}",
    "cond.compare": lambda p: f"a {p.comparison.value} b (or {p.threshold:g})",
    "flow.record": lambda p: f"{len(p.metrics)} metric{'s' * (len(p.metrics) != 1)}",
    "flow.wait_user": lambda p: p.message,
}


def node_title(node: Node, node_type: type[NodeType] | None) -> str:
    """The title shown on the node: its own, or its type's."""
    if node.title:
        return node.title
    return node_type.spec.title if node_type else node.type


def node_summary(node: Node, node_type: type[NodeType] | None) -> str:
    """One line about the node's parameters (empty when they are invalid or say nothing useful)."""
    if node_type is None:
        return f"unknown type {node.type}"
    summary = SUMMARIES.get(node.type)
    text = ""
    if summary is not None:
        try:
            text = summary(node_type.spec.params.model_validate(node.params))
        except Exception:  # an invalid node still draws; its problems are shown by validation
            text = ""
    if node.active_rounds.strip().lower() not in ("", "all"):
        text = f"{text} · rounds {node.active_rounds}" if text else f"rounds {node.active_rounds}"
    return text
