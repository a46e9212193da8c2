"""One undoable edit of a flow document: the nodes, wires and notes it changes, before and after.

Every user edit (add, delete, move, connect, disconnect, parameter change, disable, paste, layout, notes,
the flow's name, description and status) is a `FlowEdit`: it knows each changed node's old and new state
(None: absent), the wires it removes and adds, each changed note and the metadata before and after. Redo
and undo apply those changes to the flow store, whose observers (the canvas, the panels) follow. Positions
in the lists are kept, so undo restores the document exactly (same order of nodes, wires and notes).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from Qt import QtWidgets

from planflow_qt.model.document import Edge, FlowMeta, Node, Note
from planflow_qt.model.store import FlowStore

MERGE_PARAMS = 4101


@dataclass
class Change:
    """What a FlowEdit changes. Node changes: id -> (before, after); note changes: index -> (before, after);
    `meta`: (before, after)."""

    nodes: dict[str, tuple[Node | None, Node | None]] = field(default_factory=dict)
    removed_edges: list[Edge] = field(default_factory=list)
    added_edges: list[Edge] = field(default_factory=list)
    notes: dict[int, tuple[Note | None, Note | None]] = field(default_factory=dict)
    meta: tuple[FlowMeta, FlowMeta] | None = None

    def is_empty(self) -> bool:
        return not (self.removed_edges or self.added_edges or self.notes
                    or (self.meta is not None and self.meta[0] != self.meta[1])
                    or any(before != after for before, after in self.nodes.values()))


class FlowEdit(QtWidgets.QUndoCommand):
    """An undoable change of the flow (see module doc). `merge_key` lets successive edits of one field merge."""

    def __init__(self, store: FlowStore, text: str, change: Change, merge_key: tuple | None = None):
        super().__init__(text)
        self.store = store
        self.change = change
        self.merge_key = merge_key
        flow = store.flow
        index = {node.id: i for i, node in enumerate(flow.nodes)}
        self._node_index = {node_id: index[node_id] for node_id in change.nodes if node_id in index}
        self._edge_index = [flow.edges.index(edge) for edge in change.removed_edges]

    def id(self) -> int:
        return MERGE_PARAMS if self.merge_key is not None else -1

    def mergeWith(self, other: QtWidgets.QUndoCommand) -> bool:
        if not isinstance(other, FlowEdit) or other.merge_key != self.merge_key or self.merge_key is None:
            return False
        for node_id, (_before, after) in other.change.nodes.items():
            before = self.change.nodes.get(node_id, other.change.nodes[node_id])[0]
            self.change.nodes[node_id] = (before, after)
        if other.change.meta is not None:
            self.change.meta = ((self.change.meta or other.change.meta)[0], other.change.meta[1])
        return True

    def redo(self) -> None:
        store, change = self.store, self.change
        for edge in change.removed_edges:
            store.remove_edge(edge)
        removed = [node_id for node_id, (before, after) in change.nodes.items() if before and after is None]
        for node_id in removed:
            store.remove_node(node_id)
        for before, after in change.nodes.values():
            if before is not None and after is not None:
                store.replace_node(after)
        added = [(node_id, after) for node_id, (before, after) in change.nodes.items() if before is None and after]
        for node_id, after in sorted(added, key=lambda item: self._node_index.get(item[0], 1 << 30)):
            store.insert_node(self._node_index.get(node_id), after)
        for edge in change.added_edges:
            store.insert_edge(None, edge)
        self._apply_notes(after=True)
        if change.meta is not None:
            store.set_meta(change.meta[1])
        store.edited()

    def undo(self) -> None:
        store, change = self.store, self.change
        for edge in change.added_edges:
            store.remove_edge(edge)
        for node_id, (before, after) in change.nodes.items():
            if before is None and after is not None:
                store.remove_node(node_id)
        for before, after in change.nodes.values():
            if before is not None and after is not None:
                store.replace_node(before)
        restored = [(self._node_index[node_id], before) for node_id, (before, after) in change.nodes.items()
                    if before is not None and after is None]
        for position, node in sorted(restored, key=lambda item: item[0]):
            store.insert_node(position, node)
        for position, edge in sorted(zip(self._edge_index, change.removed_edges, strict=True),
                                     key=lambda item: item[0]):
            store.insert_edge(position, edge)
        self._apply_notes(after=False)
        if change.meta is not None:
            store.set_meta(change.meta[0])
        store.edited()

    def _apply_notes(self, after: bool) -> None:
        store = self.store
        for index, (before, new) in sorted(self.change.notes.items(), reverse=True):  # removals from the end first
            old, target = (before, new) if after else (new, before)
            if old is not None and target is None:
                store.remove_note(index)
        for index, (before, new) in sorted(self.change.notes.items()):
            old, target = (before, new) if after else (new, before)
            if old is None and target is not None:
                store.insert_note(index, target)
            elif old is not None and target is not None:
                store.replace_note(index, target)
