"""The open flow as one evented store: every change of its nodes, wires, notes and metadata goes through
a primitive here and is announced to the observers as a plain event (no Qt), so views (the editor's canvas,
its panels) follow the document instead of being pushed by hand.

Edits are made of primitives, then `edited()` closes them: observers may redraw once per edit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from planflow_qt.model.document import Edge, Flow, FlowMeta, Node, Note


class StoreChange(str, Enum):
    """What changed in the store."""

    LOADED = "loaded"
    NODE_ADDED = "node added"
    NODE_REMOVED = "node removed"
    NODE_REPLACED = "node replaced"
    EDGE_ADDED = "edge added"
    EDGE_REMOVED = "edge removed"
    NOTE_ADDED = "note added"
    NOTE_REMOVED = "note removed"
    NOTE_REPLACED = "note replaced"
    META_CHANGED = "metadata changed"
    EDITED = "edited"


@dataclass(frozen=True)
class StoreEvent:
    """One change: its kind and what it concerns (the node, the edge, or the note and its index)."""

    kind: StoreChange
    node: Node | None = None
    node_id: str = ""
    edge: Edge | None = None
    note: Note | None = None
    index: int = -1


Observer = Callable[[StoreEvent], None]


class FlowStore:
    """The flow being edited; `subscribe` an observer to hear of every change."""

    def __init__(self, flow: Flow | None = None):
        self.flow = flow or Flow()
        self._observers: list[Observer] = []

    def subscribe(self, observer: Observer) -> None:
        """Call `observer(event)` after every change."""
        self._observers.append(observer)

    def _emit(self, event: StoreEvent) -> None:
        for observer in self._observers:
            observer(event)

    def load(self, flow: Flow) -> None:
        """Replace the whole flow."""
        self.flow = flow
        self._emit(StoreEvent(StoreChange.LOADED))

    def index_of(self, node_id: str) -> int:
        """The position of a node in the document."""
        return next(i for i, node in enumerate(self.flow.nodes) if node.id == node_id)

    def insert_node(self, index: int | None, node: Node) -> None:
        self.flow.nodes.insert(len(self.flow.nodes) if index is None else index, node)
        self._emit(StoreEvent(StoreChange.NODE_ADDED, node=node, node_id=node.id))

    def remove_node(self, node_id: str) -> None:
        del self.flow.nodes[self.index_of(node_id)]
        self._emit(StoreEvent(StoreChange.NODE_REMOVED, node_id=node_id))

    def replace_node(self, node: Node) -> None:
        self.flow.nodes[self.index_of(node.id)] = node
        self._emit(StoreEvent(StoreChange.NODE_REPLACED, node=node, node_id=node.id))

    def insert_edge(self, index: int | None, edge: Edge) -> None:
        self.flow.edges.insert(len(self.flow.edges) if index is None else index, edge)
        self._emit(StoreEvent(StoreChange.EDGE_ADDED, edge=edge))

    def remove_edge(self, edge: Edge) -> None:
        self.flow.edges.remove(edge)
        self._emit(StoreEvent(StoreChange.EDGE_REMOVED, edge=edge))

    def insert_note(self, index: int, note: Note) -> None:
        self.flow.notes.insert(index, note)
        self._emit(StoreEvent(StoreChange.NOTE_ADDED, note=note, index=index))

    def remove_note(self, index: int) -> None:
        del self.flow.notes[index]
        self._emit(StoreEvent(StoreChange.NOTE_REMOVED, index=index))

    def replace_note(self, index: int, note: Note) -> None:
        self.flow.notes[index] = note
        self._emit(StoreEvent(StoreChange.NOTE_REPLACED, note=note, index=index))

    def set_meta(self, meta: FlowMeta) -> None:
        self.flow.meta = meta
        self._emit(StoreEvent(StoreChange.META_CHANGED))

    def edited(self) -> None:
        """One edit (a series of primitives) is complete."""
        self._emit(StoreEvent(StoreChange.EDITED))
