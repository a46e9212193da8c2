"""One undoable edit of a flow document: the nodes, wires and notes it changes, before and after.

Every user edit (add, delete, move, connect, disconnect, parameter change, disable, paste, layout, notes)
is a `FlowEdit`: it knows each changed node's old and new state (None: absent), the wires it removes
and adds, and each changed note. Redo and undo apply those changes through the document controller,
which updates the Flow first and the canvas after. Positions in the lists are kept, so undo restores
the document exactly (same order of nodes, wires and notes).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from Qt import QtWidgets

from planflow_qt.model.document import Edge, Node, Note

if TYPE_CHECKING:
    from planflow_qt.editor.document import DocumentController

MERGE_PARAMS = 4101


@dataclass
class Change:
    """What a FlowEdit changes. Node changes: id -> (before, after); note changes: index -> (before, after)."""

    nodes: dict[str, tuple[Node | None, Node | None]] = field(default_factory=dict)
    removed_edges: list[Edge] = field(default_factory=list)
    added_edges: list[Edge] = field(default_factory=list)
    notes: dict[int, tuple[Note | None, Note | None]] = field(default_factory=dict)

    def is_empty(self) -> bool:
        return not (self.removed_edges or self.added_edges or self.notes
                    or any(before != after for before, after in self.nodes.values()))


class FlowEdit(QtWidgets.QUndoCommand):
    """An undoable change of the flow (see module doc). `merge_key` lets successive edits of one field merge."""

    def __init__(self, doc: DocumentController, text: str, change: Change, merge_key: tuple | None = None):
        super().__init__(text)
        self.doc = doc
        self.change = change
        self.merge_key = merge_key
        flow = doc.flow
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
        return True

    def redo(self) -> None:
        doc, change = self.doc, self.change
        for edge in change.removed_edges:
            doc.remove_edge(edge)
        removed = [node_id for node_id, (before, after) in change.nodes.items() if before and after is None]
        for node_id in removed:
            doc.remove_node(node_id)
        for before, after in change.nodes.values():
            if before is not None and after is not None:
                doc.replace_node(after)
        added = [(node_id, after) for node_id, (before, after) in change.nodes.items() if before is None and after]
        for node_id, after in sorted(added, key=lambda item: self._node_index.get(item[0], 1 << 30)):
            doc.insert_node(self._node_index.get(node_id), after)
        for edge in change.added_edges:
            doc.insert_edge(None, edge)
        self._apply_notes(after=True)
        doc.edited()

    def undo(self) -> None:
        doc, change = self.doc, self.change
        for edge in change.added_edges:
            doc.remove_edge(edge)
        for node_id, (before, after) in change.nodes.items():
            if before is None and after is not None:
                doc.remove_node(node_id)
        for before, after in change.nodes.values():
            if before is not None and after is not None:
                doc.replace_node(before)
        restored = [(self._node_index[node_id], before) for node_id, (before, after) in change.nodes.items()
                    if before is not None and after is None]
        for position, node in sorted(restored, key=lambda item: item[0]):
            doc.insert_node(position, node)
        for position, edge in sorted(zip(self._edge_index, change.removed_edges, strict=True),
                                     key=lambda item: item[0]):
            doc.insert_edge(position, edge)
        self._apply_notes(after=False)
        doc.edited()

    def _apply_notes(self, after: bool) -> None:
        doc = self.doc
        for index, (before, new) in sorted(self.change.notes.items(), reverse=True):  # removals from the end first
            old, target = (before, new) if after else (new, before)
            if old is not None and target is None:
                doc.remove_note(index)
        for index, (before, new) in sorted(self.change.notes.items()):
            old, target = (before, new) if after else (new, before)
            if old is None and target is not None:
                doc.insert_note(index, target)
            elif old is not None and target is not None:
                doc.replace_note(index, target)
