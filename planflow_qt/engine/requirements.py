"""Whether each node has what it needs before it runs, as the node types declare (`NodeType.requires`):
plan states given by a node upstream (an isocenter before beams, a dose before a DVH condition) and inputs
its parameters make necessary (an ROI for an isocenter at an ROI's centre).

Everything upstream of a node runs before it, so a state given upstream is there, unless the node giving it
may be skipped (a wired `when`, active rounds): then the flow may run, with a warning.
"""

from __future__ import annotations

from planflow_qt.catalog.registry import Registry
from planflow_qt.catalog.spec import NodeType, PlanState, Requirement, Role
from planflow_qt.engine.graph import FlowGraph
from planflow_qt.engine.problems import Problem, Severity
from planflow_qt.model.document import Flow, Node


def requirement_problems(flow: Flow, graph: FlowGraph, order: list[str], types: dict[str, type[NodeType]],
                         params: dict, registry: Registry, known: list[Problem]) -> list[Problem]:
    """Unmet requirements as errors; requirements met only if a skippable node runs as warnings. Nodes
    with `known` errors are not checked: their wiring or parameters are wrong already."""
    faulty = {p.node_id for p in known if p.is_error}
    nodes = {node.id: node for node in flow.nodes}
    wired = {edge.dst for edge in flow.edges}
    sure: dict[str, frozenset[PlanState]] = {}
    maybe: dict[str, dict[PlanState, str]] = {}
    problems: list[Problem] = []
    for node_id in order:
        have = frozenset().union(*(sure[p] for p in graph.pred[node_id]))
        may: dict[PlanState, str] = {}
        for pred in graph.pred[node_id]:
            may.update(maybe[pred])
        node, node_type = nodes[node_id], types.get(node_id)
        runs = node_type is not None and node_id in params and not node.disabled
        if runs and node_id not in faulty:
            for need in node_type.requires(params[node_id]):
                problem = _unmet(node, node_type, need, have, may, wired, registry)
                if problem is not None:
                    problems.append(problem)
        gives = node_type.spec.gives if runs else frozenset()
        certain = not ((node_id, "when") in wired or node.active_rounds.strip().lower() not in ("", "all"))
        sure[node_id] = have | gives if certain else have
        maybe[node_id] = {**may, **dict.fromkeys(gives - have, node_id)}
    return problems


def needed_from_the_open_plan(flow: Flow, graph: FlowGraph, order: list[str], types: dict[str, type[NodeType]],
                               params: dict) -> dict[PlanState, list[str]]:
    """The plan states nodes need that only the plan open in the planning system gives (a flow starting from
    "Current plan"): state -> the nodes that need it. The preflight asks the backend whether the open plan has
    them."""
    if not any(t.spec.has(Role.CURRENT_PLAN) for t in types.values()):
        return {}
    nodes = {node.id: node for node in flow.nodes}
    given: dict[str, frozenset[PlanState]] = {}
    needed: dict[PlanState, list[str]] = {}
    for node_id in order:
        have = frozenset().union(*(given[p] for p in graph.pred[node_id]))
        node_type = types.get(node_id)
        runs = node_type is not None and node_id in params and not nodes[node_id].disabled
        if runs:
            for need in node_type.requires(params[node_id]):
                if need.state is not None and need.state not in have:
                    needed.setdefault(need.state, []).append(node_id)
        gives = node_type.spec.gives if runs and not node_type.spec.has(Role.CURRENT_PLAN) else frozenset()
        given[node_id] = have | gives
    return needed


def _unmet(node: Node, node_type: type[NodeType], need: Requirement, have: frozenset[PlanState],
           may: dict[PlanState, str], wired: set[tuple[str, str]], registry: Registry) -> Problem | None:
    if need.port is not None and (node.id, need.port) not in wired:
        port = node_type.spec.input(need.port)
        kind = port.type.value if port is not None else "value"
        setting = need.field.rsplit(".", 1)[-1].replace("_", " ")
        return Problem(node.id, node.type, need.field or f"inputs.{need.port}",
                       f"with this {setting}, the node needs an {kind} wired to {need.port!r}: wire one, or "
                       f"change the {setting}")
    state = need.state
    if state is None or state in have:
        return None
    if state in may:
        return Problem(node.id, node.type, need.field or "inputs.plan",
                       f"needs {state.value} before it, which only {may[state]} gives and it may be skipped "
                       "(its 'when' input or active rounds): the run fails if it is", Severity.WARNING)
    givers = sorted({t.spec.title for t in registry if state in t.spec.gives and not t.spec.has(Role.PLAN_SOURCE)})
    place = " or ".join(f"'{title}'" for title in givers) or "a node giving it"
    return Problem(node.id, node.type, need.field or "inputs.plan",
                   f"needs {state.value} before it: place {place} upstream of it on the plan wires")
