"""The flow under construction: nodes in legacy run order, their wires, the ROIs they provide, the warnings.

Nodes are kept in the order the legacy tool runs them and every wire goes from an earlier node to a later one,
so the interpreter's order (topological, ties in document order) is exactly the legacy order. ROI matches
have no inputs and come first.
"""

from __future__ import annotations

import re
from typing import Any

from planflow_qt.model.document import Edge, Flow, FlowMeta, Node
from planflow_qt.model.legacy.fields import Entry
from planflow_qt.model.legacy.layout import Phase, lay_out

_UNSAFE = re.compile(r"[^A-Za-z0-9_\-]+")


class Graph:
    """Nodes, wires and ROI providers of an imported flow, and the warnings of its conversion."""

    def __init__(self) -> None:
        self.matches: list[tuple[Phase, Node]] = []
        self.placed: list[tuple[Phase, Node]] = []
        self.edges: list[Edge] = []
        self.providers: dict[str, str] = {}
        self.later: dict[str, str] = {}
        self.names: dict[str, str] = {}
        self.warnings: list[str] = []
        self.plan_tail: str | None = None
        self._ids: set[str] = set()

    def _id(self, stem: str) -> str:
        base = _UNSAFE.sub("_", stem).strip("_")[:60] or "node"
        node_id, n = base, 1
        while node_id in self._ids:
            n += 1
            node_id = f"{base}-{n}"
        self._ids.add(node_id)
        return node_id

    def add(self, phase: Phase, type_id: str, stem: str, params: dict[str, Any], title: str = "",
            active_rounds: str = "all") -> str:
        """Append a node (after every node added so far); returns its id."""
        node = Node(id=self._id(stem), type=type_id, title=title[:200], params=params, active_rounds=active_rounds)
        (self.matches if type_id == "roi.match" else self.placed).append((phase, node))
        return node.id

    def wire(self, src: str, dst: str) -> None:
        """Wire `node.port` to `node.port`; a bare id means the plan port."""
        self.edges.append(Edge(src=_port(src), dst=_port(dst)))

    def chain(self, node_id: str) -> None:
        """Put a node on the plan wire, after the last one."""
        if self.plan_tail is not None:
            self.wire(self.plan_tail, node_id)
        self.plan_tail = node_id

    def match(self, name: str, aliases: list[str]) -> None:
        """An ROI of the case; it provides `name` to every later node."""
        self.providers[name] = self.add(Phase.MATCH, "roi.match", f"roi-{name}", {"name": name, "aliases": aliases},
                                        title=name)

    def provide(self, name: str, node_id: str) -> None:
        """`node_id` creates ROI `name`: later nodes take it from there."""
        self.providers[name] = node_id
        self.later.pop(name, None)

    def roi(self, name: str) -> str | None:
        """The node giving ROI `name` to the node being added: its provider, else a match by name.

        None when a node added later creates it (`later` says which): it cannot be wired in legacy order.
        """
        if name in self.providers:
            return self.providers[name]
        if name in self.later:
            return None
        self.match(name, [])
        return self.providers[name]

    def wire_roi(self, name: str, dst: str) -> bool:
        """Wire ROI `name` into input `dst` (`node.port`); False if it is only created later."""
        provider = self.roi(name)
        if provider is None:
            return False
        self.wire(f"{provider}.roi", dst)
        return True

    def unique_name(self, name: str, entry: Entry, what: str, avoid: set[str] | frozenset[str] = frozenset()) -> str:
        """`name` for a function tag or condition name, or `name_2`, ... when one is taken (PlanFlow's tags and
        condition names are unique; Planning-Flow allowed duplicates). Empty names are filled in by PlanFlow."""
        if not name:
            return name
        unique, n = name, 1
        while unique in self.names or unique in avoid:
            n += 1
            unique = f"{name[:60]}_{n}"
        if unique != name:
            user = self.names.get(name, "an 'Add NEW function' tag")
            self.warnings.append(entry.say(f"{what} {name!r} is already used by {user}: {unique!r} used here"))
        self.names[unique] = entry.location()
        return unique

    def flow(self, meta: FlowMeta) -> Flow:
        """The finished document, laid out in columns by phase."""
        placed = self.matches + self.placed
        notes = lay_out(placed)
        return Flow(meta=meta, nodes=[node for _, node in placed], edges=self.edges, notes=notes)


def _port(ref: str) -> tuple[str, str]:
    node, _, port = ref.partition(".")
    return (node, port or "plan")
