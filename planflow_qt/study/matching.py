"""The iteration-matched control of a comparison: the baseline flow given the same total optimization budget
as the flow it is compared with, so that a gain is not merely more iterations."""

from __future__ import annotations

import math

from planflow_qt.catalog.registry import default_registry, plays
from planflow_qt.catalog.spec import Role
from planflow_qt.model.document import Flow, Node
from planflow_qt.model.files import flow_from_data

MAX_ITERATIONS = 1000
"""The most iterations one optimization accepts."""


def _plays(node: Node, role: Role) -> bool:
    return not node.disabled and plays(default_registry(), node.type, role)


def optimization_budget(flow: Flow) -> tuple[int, int]:
    """(optimizations, iterations each) of a flow run once through: its `opt.run` nodes and the largest
    `opt.settings` iterations (80 when it sets none)."""
    runs = sum(1 for n in flow.nodes if _plays(n, Role.OPTIMIZES))
    settings = [int(n.params.get("iterations", 80)) for n in flow.nodes if _plays(n, Role.OPTIMIZATION_SETTINGS)]
    return runs, max(settings, default=80)


def matched_flow(flow: Flow, total_iterations: int) -> Flow | None:
    """`flow` with each optimization given an equal share of `total_iterations` (at most 1000 each); None when
    the flow has no optimization or no settings node to change, or already has that budget."""
    runs, each = optimization_budget(flow)
    settings = [n for n in flow.nodes if _plays(n, Role.OPTIMIZATION_SETTINGS)]
    if runs == 0 or not settings or total_iterations <= 0:
        return None
    share = min(MAX_ITERATIONS, math.ceil(total_iterations / runs))
    if share == each:
        return None
    matched = flow_from_data(flow.to_json_dict(), "iteration-matched control")
    for node in matched.nodes:
        if _plays(node, Role.OPTIMIZATION_SETTINGS):
            node.params = {**node.params, "iterations": share}
    matched.meta.name = f"{flow.meta.name} (iteration-matched)"
    matched.meta.description = (f"{flow.meta.description} Iteration-matched control: {runs} x {share} "
                                f"iterations, as many as the flow it is compared with ran in total "
                                f"({total_iterations}).").strip()
    return matched
