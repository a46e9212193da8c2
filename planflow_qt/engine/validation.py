"""Static validation of a flow before any run: every rule has its own message naming node and field."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from pydantic import BaseModel, ValidationError

from planflow_qt.catalog.registry import Registry, default_registry
from planflow_qt.catalog.spec import NodeType, Role
from planflow_qt.engine.graph import FlowGraph, LoopZone
from planflow_qt.engine.problems import Problem
from planflow_qt.engine.requirements import requirement_problems
from planflow_qt.model.document import Flow, Node
from planflow_qt.model.rounds import parse_rounds


@dataclass
class Analysis:
    """What validation learned about a flow; the interpreter runs from it."""

    flow: Flow
    graph: FlowGraph
    types: dict[str, type[NodeType]]
    params: dict[str, BaseModel]
    names: dict[str, list[str]]
    loops: list[LoopZone]
    order: list[str]
    problems: list[Problem]

    @property
    def ok(self) -> bool:
        return not any(p.is_error for p in self.problems)


def _pydantic_problems(node: Node, exc: ValidationError) -> list[Problem]:
    out = []
    for err in exc.errors():
        path = ".".join(str(p) for p in err["loc"])
        message = err["msg"]
        if err["type"] == "extra_forbidden":
            message = "unknown parameter: remove it or check its spelling"
        elif err["type"] == "missing":
            message = "required parameter missing: set it"
        out.append(Problem(node.id, node.type, f"params.{path}" if path else "params", message))
    return out


class _Checker:
    def __init__(self, flow: Flow, registry: Registry):
        self.flow = flow
        self.registry = registry
        self.problems: list[Problem] = []
        self.types: dict[str, type[NodeType]] = {}
        self.params: dict[str, BaseModel] = {}
        self.nodes = {}
        self.sources: dict[tuple[str, str], list[str]] = {}  # (node, input) -> source nodes, in wire order
        for edge in flow.edges:
            self.sources.setdefault(edge.dst, []).append(edge.src[0])

    def add(self, node_id: str, field: str, message: str) -> None:
        node = self.nodes.get(node_id)
        self.problems.append(Problem(node_id, node.type if node else "?", field, message))

    # -- nodes ---------------------------------------------------------------------------------------------
    def check_nodes(self) -> None:
        counts = Counter(n.id for n in self.flow.nodes)
        for node in self.flow.nodes:
            if counts[node.id] > 1 and node.id in self.nodes:
                self.add(node.id, "id", f"node id {node.id!r} is used {counts[node.id]} times: ids must be unique")
                continue
            self.nodes[node.id] = node
            node_type = self.registry.get(node.type)
            if node_type is None:
                hint = self.registry.suggest(node.type)
                self.add(node.id, "type", f"unknown node type {node.type!r}"
                         + (f": did you mean {hint!r}?" if hint else ": run 'planflow nodes' for the catalog"))
                continue
            self.types[node.id] = node_type
            try:
                self.params[node.id] = node_type.spec.params.model_validate(node.params)
            except ValidationError as exc:
                self.problems.extend(_pydantic_problems(node, exc))
            try:
                parse_rounds(node.active_rounds)
            except ValueError as exc:
                self.add(node.id, "active_rounds", str(exc))

    # -- edges ---------------------------------------------------------------------------------------------
    def check_edges(self) -> None:
        used: Counter[tuple[str, str]] = Counter()
        for index, edge in enumerate(self.flow.edges):
            (src, out_name), (dst, in_name) = edge.src, edge.dst
            where = f"inputs.{in_name}"
            if src not in self.nodes and dst not in self.nodes:
                self.problems.append(Problem("", "", f"edges.{index}", f"wire from unknown node {src!r} to unknown "
                                             f"node {dst!r}: delete the wire"))
                continue
            if src not in self.nodes:
                self.add(dst if dst in self.nodes else src, where,
                         f"wire from unknown node {src!r}: delete the wire or the missing node's reference")
                continue
            if dst not in self.nodes:
                self.add(src, f"outputs.{out_name}", f"wire to unknown node {dst!r}: delete the wire")
                continue
            if src == dst:
                self.add(dst, where, "a node cannot be wired to itself")
                continue
            src_type, dst_type = self.types.get(src), self.types.get(dst)
            if src_type is None or dst_type is None:
                continue
            out_port = src_type.spec.output(out_name)
            in_port = dst_type.spec.input(in_name)
            if out_port is None:
                outs = ", ".join(p.name for p in src_type.spec.outputs) or "none"
                self.add(src, f"outputs.{out_name}", f"no output named {out_name!r} (outputs: {outs})")
                continue
            if in_port is None:
                ins = ", ".join(p.name for p in dst_type.spec.all_inputs()) or "none"
                self.add(dst, where, f"no input named {in_name!r} (inputs: {ins})")
                continue
            if out_port.type is not in_port.type:
                self.add(dst, where, f"type mismatch: {in_name!r} takes {in_port.type.value}, but "
                         f"{src}.{out_name} gives {out_port.type.value}")
                continue
            used[(dst, in_name)] += 1
            if used[(dst, in_name)] == 2 and not in_port.multi:
                self.add(dst, where, f"input {in_name!r} takes one wire; remove the extra ones")
        for node_id, node_type in self.types.items():
            for port in node_type.spec.all_inputs():
                if not port.optional and not used[(node_id, port.name)]:
                    self.add(node_id, f"inputs.{port.name}",
                             f"required input {port.name!r} ({port.type.value}) is not wired")

    # -- plan, names -------------------------------------------------------------------------------------------
    def check_plan_sources(self) -> None:
        sources = [n for n, t in self.types.items() if t.spec.has(Role.PLAN_SOURCE)]
        if len(sources) > 1:
            for node_id in sources[1:]:
                self.add(node_id, "type", f"more than one plan source ({', '.join(sources)}): keep one")

    def roi_label_of(self, node_id: str, port: str) -> str | None:
        for src in self.sources.get((node_id, port), ()):
            if src in self.params:
                return self.types[src].roi_label(self.params[src])
        return None

    def check_roi_names(self) -> None:
        created: dict[str, str] = {}
        matched: dict[str, str] = {}
        for node_id, params in self.params.items():
            node_type = self.types[node_id]
            name = node_type.created_roi(params)
            if name is not None:
                if name in created:
                    self.add(node_id, "params.name", f"ROI {name!r} is also created by {created[name]}: "
                             "give one of them another name")
                created.setdefault(name, node_id)
            elif node_type.spec.has(Role.CASE_ROI):
                matched.setdefault(params.name, node_id)
        for name, node_id in created.items():
            if name in matched:
                self.add(node_id, "params.name", f"ROI {name!r} is an ROI of the case (matched by "
                         f"{matched[name]}): a created ROI needs a new name")
        known = sorted(created.keys() | matched.keys())
        for node_id, params in self.params.items():
            for field, name in self.types[node_id].referenced_rois(params):
                if name not in created and name not in matched:
                    self.add(node_id, field, f"ROI {name!r} is not an ROI of the flow (flow ROIs: "
                             f"{', '.join(known[:30]) or 'none'}): match it with an ROI node or use one of these")

    def resolve_names(self) -> dict[str, list[str]]:
        """Fill empty tags and condition names as `{stem}_{n}`; report duplicates and dangling updates."""
        wanted: list[tuple[str, list[tuple[str, str]], bool]] = []
        for node in self.flow.nodes:
            if node.id not in self.params or self.nodes.get(node.id) is not node:
                continue
            node_type = self.types[node.id]
            label = self.roi_label_of(node.id, "roi")
            wanted.append((node.id, node_type.naming(self.params[node.id], label),
                           node_type.updates_names(self.params[node.id])))
        given = {name for _, pairs, _ in wanted for name, _ in pairs if name}
        counters: Counter[str] = Counter()
        names: dict[str, list[str]] = {}
        defined: dict[str, str] = {}
        for node_id, pairs, updates in wanted:
            resolved = []
            for name, stem in pairs:
                if not name:
                    counters[stem] += 1
                    while f"{stem}_{counters[stem]}" in given:
                        counters[stem] += 1
                    name = f"{stem}_{counters[stem]}"
                resolved.append(name)
                if updates:
                    continue
                if name in defined:
                    fields = type(self.params[node_id]).model_fields
                    field = "params.name" if "name" in fields else "params.tag" if "tag" in fields else "params"
                    self.add(node_id, field,
                             f"name {name!r} is already given by {defined[name]}: names must be unique "
                             "(to change that function, set 'updates_existing')")
                defined.setdefault(name, node_id)
            names[node_id] = resolved
        for node_id, _pairs, updates in wanted:
            if updates:
                for name in names[node_id]:
                    if name not in defined:
                        self.add(node_id, "params.tag", f"no function tagged {name!r} is defined in the flow")
        return names


def _loop_zones(checker: _Checker, graph: FlowGraph) -> list[LoopZone]:
    begins = [n for n, t in checker.types.items() if t.spec.has(Role.LOOP_BEGIN)]
    ends = {n for n, t in checker.types.items() if t.spec.has(Role.LOOP_END)}
    zones: list[LoopZone] = []
    paired: dict[str, str] = {}  # end -> the begin of its loop
    reported_ends: set[str] = set()  # ends of a loop reported as nested or with several ends: they have a begin
    for begin in begins:
        reach = graph.descendants(begin, stop=ends)
        found_ends = sorted(reach & ends, key=graph.index.get)
        nested = [n for n in reach if n in begins]
        if nested:
            checker.add(nested[0], "type", f"loops do not nest: this loop starts inside the loop of {begin}")
            reported_ends.update(graph.descendants(begin) & ends)
            continue
        if not found_ends:
            checker.add(begin, "outputs.plan", "loop has no 'End of rounds' downstream: add loop.end")
            continue
        if len(found_ends) > 1:
            checker.add(begin, "outputs.plan", f"loop reaches several ends ({', '.join(found_ends)}): keep one")
            reported_ends.update(found_ends)
            continue
        end = found_ends[0]
        if end in paired:
            checker.add(begin, "outputs.plan", f"loop ends at {end}, which already ends the loop of "
                        f"{paired[end]}: give each loop its own loop.end")
            continue
        paired[end] = begin
        after = graph.descendants(end)
        body = (reach - ends) - after
        for node in sorted(body, key=graph.index.get):
            for nxt in graph.succ[node]:
                if nxt != end and nxt not in body:
                    checker.add(node, "outputs", f"value leaves the loop body to {nxt}: only the plan leaves "
                                f"a loop, through {end}")
        for node in sorted(reach & after, key=graph.index.get):
            checker.add(node, "inputs", f"takes inputs from inside the loop of {begin} and from after its end "
                        f"{end}: move it inside or after the loop")
        zones.append(LoopZone(begin, end, sorted(body, key=graph.index.get)))
    for end in sorted(ends - paired.keys() - reported_ends, key=graph.index.get):
        checker.add(end, "inputs.plan", "'End of rounds' without a 'Rounds' (loop.begin) upstream")
    in_loop = {n for z in zones for n in (z.begin, z.end, *z.body)}
    for node_id, node in checker.nodes.items():
        if node.active_rounds.strip().lower() not in ("", "all") and node_id not in in_loop:
            checker.add(node_id, "active_rounds", "active rounds only apply inside a loop: set 'all'")
    return zones


def _order(graph: FlowGraph, checker: _Checker) -> list[str]:
    order = graph.topological_order()
    if order is not None:
        return order
    for group in graph.cycles():
        checker.add(group[0], "edges", f"cycle through {' -> '.join(group)}: remove one of its wires "
                    "(repetition is drawn with a loop.begin / loop.end pair)")
    return []


def analyze(flow: Flow, registry: Registry | None = None) -> Analysis:
    """Validate a flow and compute what a run needs: types, params, names, loops, order."""
    checker = _Checker(flow, registry or default_registry())
    checker.check_nodes()
    checker.check_edges()
    checker.check_plan_sources()
    checker.check_roi_names()
    names = checker.resolve_names()
    graph = FlowGraph(flow)
    order = _order(graph, checker)
    loops = _loop_zones(checker, graph) if order else []
    if order:
        checker.problems += requirement_problems(flow, graph, order, checker.types, checker.params, checker.registry,
                                                 checker.problems)
    return Analysis(flow, graph, checker.types, checker.params, names, loops, order, checker.problems)


def validate(flow: Flow, registry: Registry | None = None) -> list[Problem]:
    """Every problem of a flow (empty when it may run)."""
    return analyze(flow, registry).problems
