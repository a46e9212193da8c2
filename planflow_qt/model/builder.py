"""Build flow documents in code: for generated flows, examples, benchmarks and tests."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

from planflow_qt.model.document import Edge, Flow, FlowMeta, Node, Note


class FlowBuilder:
    """Add nodes and wires in run order; nodes are laid out left to right unless given a position."""

    def __init__(self, name: str = "Untitled flow", description: str = "", author: str = ""):
        self.flow = Flow(meta=FlowMeta(name=name, description=description, author=author))
        self._column = 0

    def add(self, type_id: str, node_id: str, params: dict[str, Any] | None = None, title: str = "",
            pos: tuple[float, float] | None = None, **fields: Any) -> str:
        """Add a node; extra keyword fields (`disabled`, `active_rounds`) go to the node. Returns its id."""
        if pos is None:
            pos = (self._column * 260.0, 0.0)
            self._column += 1
        self.flow.nodes.append(Node(id=node_id, type=type_id, title=title, params=params or {}, pos=pos, **fields))
        return node_id

    def wire(self, src: str, dst: str) -> None:
        """Wire `"node.port"` to `"node.port"`; a bare node id means its `plan` port."""
        self.flow.edges.append(Edge(src=_port(src), dst=_port(dst)))

    def chain(self, *node_ids: str) -> None:
        """Wire the plan ports of the nodes one after the other."""
        for src, dst in pairwise(node_ids):
            self.wire(src, dst)

    def photon_setup(self, plan: str = "P", dose_cgy: float = 6000.0) -> str:
        """Add the setup of a photon plan, chained: a new plan (`plan`), its prescription on the PTV (`rx`), the
        isocenter at the PTV's centre (`iso`) and one arc, 181 -> 179 clockwise (`arcs`); the PTV is the ROI
        node `ptv`. Returns the id to chain on from."""
        self.add("plan.create", "plan", {"name": plan})
        self.add("roi.match", "ptv", {"name": "PTV"})
        self.add("plan.prescription", "rx", {"dose_cgy": dose_cgy})
        self.add("plan.isocenter", "iso")
        self.add("plan.vmat_arcs", "arcs", {"arcs": [{"name": "A1", "gantry_start_deg": 181, "gantry_stop_deg": 179}]})
        self.chain("plan", "rx", "iso", "arcs")
        self.wire("ptv.roi", "rx.roi")
        self.wire("ptv.roi", "iso.roi")
        return "arcs"

    def note(self, title: str, text: str, rect: tuple[float, float, float, float]) -> None:
        self.flow.notes.append(Note(title=title, text=text, rect=rect))

    def build(self) -> Flow:
        return self.flow


def _port(ref: str) -> tuple[str, str]:
    node, _, port = ref.rpartition(".") if "." in ref else (ref, "", "plan")
    return (node, port) if node else (ref, "plan")
