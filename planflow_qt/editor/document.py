"""The document controller: owns the flow store and its undo stack; the canvas follows the store.

The flow store (`model.store`) is the single source of truth. User requests (from the canvas, the
properties panel, menus) become `FlowEdit` commands on the `QUndoStack`; a command changes the store
through its primitives, whose events the controller turns into canvas updates and a `changed` signal.
Nothing else writes to the Flow.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import to_jsonable_python
from Qt import QtCore, QtWidgets

from planflow_qt.catalog.fields import model_fields, refusal_text
from planflow_qt.catalog.registry import Registry
from planflow_qt.editor.canvas import FlowCanvas, WireRef, wire_of
from planflow_qt.editor.commands import Change, FlowEdit
from planflow_qt.model.document import Edge, Flow, Node, Note
from planflow_qt.model.rounds import parse_rounds
from planflow_qt.model.store import FlowStore, StoreChange, StoreEvent

log = logging.getLogger(__name__)


def default_params(model: type[BaseModel]) -> dict[str, Any]:
    """The parameters a new node starts with: every field that has a default (required ones stay unset)."""
    return {name: to_jsonable_python(info.get_default(call_default_factory=True))
            for name, info in model.model_fields.items() if not info.is_required()}


def first_error(exc: ValidationError) -> str:
    """A pydantic error as one line: `field: message`."""
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"])
    return f"{where}: {err['msg']}" if where else err["msg"]


def field_error(exc: ValidationError, field: str = "") -> str | None:
    """The first error of `field` (or its rows and members) as one line, or of anything when no field is given."""
    if not field:
        return first_error(exc)
    path = field.split(".")
    for err in exc.errors():
        loc = [str(p) for p in err["loc"]]
        if loc[:len(path)] == path:
            return f"{'.'.join(loc)}: {err['msg']}"
    return None


class DocumentController(QtCore.QObject):
    """One open flow: the Flow, its file, its undo stack and the canvas that draws it."""

    changed = QtCore.Signal()          # the Flow changed (any edit, undo, redo or load)
    loaded = QtCore.Signal()           # a new Flow was loaded (or a new one started)
    message = QtCore.Signal(str)       # something to tell the user in the status bar

    def __init__(self, canvas: FlowCanvas, registry: Registry, parent=None):
        super().__init__(parent)
        self.canvas = canvas
        self.registry = registry
        self.store = FlowStore()
        canvas = self.canvas
        self._views = {
            StoreChange.LOADED: lambda e: canvas.build(self.flow),
            StoreChange.NODE_ADDED: lambda e: canvas.add_node_view(e.node),
            StoreChange.NODE_REMOVED: lambda e: canvas.remove_node_view(e.node_id),
            StoreChange.NODE_REPLACED: lambda e: canvas.update_node_view(e.node),
            StoreChange.EDGE_ADDED: lambda e: canvas.connect_wire(wire_of(e.edge)),
            StoreChange.EDGE_REMOVED: lambda e: canvas.disconnect_wire(wire_of(e.edge)),
            StoreChange.NOTE_ADDED: lambda e: canvas.insert_note(e.index, e.note),
            StoreChange.NOTE_REMOVED: lambda e: canvas.remove_note(e.index),
            StoreChange.NOTE_REPLACED: lambda e: canvas.update_note(e.index, e.note),
            StoreChange.META_CHANGED: lambda e: None,
            StoreChange.EDITED: lambda e: self._edited(),
        }
        self.store.subscribe(self._follow)
        self.path: Path | None = None
        self.undo_stack = QtWidgets.QUndoStack(self)
        canvas.wires_requested.connect(self.request_wires)
        canvas.move_requested.connect(self.move_nodes)
        canvas.create_requested.connect(lambda type_id, pos: self.add_node(type_id, pos))
        canvas.title_requested.connect(lambda node_id, title: self.set_node_fields(node_id, title=title))
        canvas.note_requested.connect(self.edit_note)
        canvas.connection_refused.connect(self.message)

    @property
    def flow(self) -> Flow:
        """The flow being edited (read it; change it through commands)."""
        return self.store.flow

    # -- whole documents --------------------------------------------------------------------------------------
    def load(self, flow: Flow, path: Path | None) -> None:
        """Show a flow; the undo history starts empty and the document is clean."""
        self.path = path
        self.store.load(flow)
        self.undo_stack.clear()
        self.undo_stack.setClean()
        self.loaded.emit()
        self.changed.emit()

    @property
    def dirty(self) -> bool:
        return not self.undo_stack.isClean()

    def mark_saved(self, path: Path) -> None:
        self.path = path
        self.undo_stack.setClean()

    # -- the canvas follows the store ------------------------------------------------------------------------------
    def _follow(self, event: StoreEvent) -> None:
        self._views[event.kind](event)

    def _edited(self) -> None:
        self.canvas.refresh_zones()
        self.changed.emit()

    def push(self, text: str, change: Change, merge_key: tuple | None = None) -> bool:
        """Apply a change as one undoable step; False when it changes nothing."""
        if change.is_empty():
            return False
        self.undo_stack.push(FlowEdit(self.store, text, change, merge_key))
        return True

    # -- queries -------------------------------------------------------------------------------------------------
    def node(self, node_id: str) -> Node:
        return self.flow.node(node_id)

    def node_ids(self) -> list[str]:
        return [node.id for node in self.flow.nodes]

    def name_of(self, node_id: str) -> str:
        """A node as the planner names it in messages and undo texts: its title, or its type's."""
        node = self.node(node_id)
        node_type = self.registry.get(node.type)
        return node.title or (node_type.spec.title if node_type else node.type)

    def new_id(self, type_id: str, taken: set[str] | None = None) -> str:
        """A fresh node id from the type: `function-3`, `roi-12`."""
        stem = re.sub(r"[^A-Za-z0-9_-]", "", type_id.rsplit(".", 1)[-1]) or "node"
        used = taken if taken is not None else set(self.node_ids())
        number = 1
        while f"{stem}-{number}" in used:
            number += 1
        return f"{stem}-{number}"

    def wire_problem(self, wire: WireRef) -> str | None:
        """Why a wire may not be made (unknown node or port, types differ, self wire), or None."""
        (src, out_name), (dst, in_name) = wire
        try:
            src_type = self.registry.get(self.node(src).type)
            dst_type = self.registry.get(self.node(dst).type)
        except KeyError as exc:
            return f"no node {exc.args[0]!r} in the flow"
        if src == dst:
            return "a node cannot be wired to itself"
        out = src_type.spec.output(out_name) if src_type else None
        inp = dst_type.spec.input(in_name) if dst_type else None
        if out is None or inp is None:
            return f"no port {src}.{out_name} -> {dst}.{in_name}"
        if out.type is not inp.type:
            return (f"cannot connect {out.type.value} output '{out_name}' to {inp.type.value} input "
                    f"'{in_name}': types differ")
        return None

    # -- edits ---------------------------------------------------------------------------------------------------
    def add_node(self, type_id: str, pos: tuple[float, float] = (0.0, 0.0), params: dict | None = None,
                 title: str = "") -> str | None:
        """Add a node of a type at a position, with default parameters; returns its id."""
        node_type = self.registry.get(type_id)
        if node_type is None:
            self.message.emit(f"unknown node type {type_id!r}")
            return None
        node_id = self.new_id(type_id)
        node = Node(id=node_id, type=type_id, title=title, pos=(float(pos[0]), float(pos[1])),
                    params=params if params is not None else default_params(node_type.spec.params))
        self.push(f"add {node_type.spec.title}", Change(nodes={node_id: (None, node)}))
        self.canvas.select([node_id])
        return node_id

    def delete_nodes(self, node_ids: list[str]) -> None:
        """Delete nodes and every wire touching them."""
        ids = set(node_ids)
        if not ids:
            return
        edges = [e for e in self.flow.edges if e.src[0] in ids or e.dst[0] in ids]
        change = Change(nodes={n: (self.node(n), None) for n in self.node_ids() if n in ids}, removed_edges=edges)
        self.push(f"delete {len(ids)} node{'s' * (len(ids) > 1)}", change)

    def move_nodes(self, moves: dict[str, tuple[tuple[float, float], tuple[float, float]]]) -> None:
        """Record nodes moved on the canvas (id -> (old, new) positions)."""
        self.set_positions({node_id: new for node_id, (_old, new) in moves.items()}, "move")

    def set_positions(self, positions: dict[str, tuple[float, float]], text: str) -> None:
        """Place nodes (layout, align, moves) as one step."""
        nodes = {}
        for node_id, pos in positions.items():
            node = self.node(node_id)
            new_pos = (round(float(pos[0]), 1), round(float(pos[1]), 1))
            if tuple(node.pos) != new_pos:
                nodes[node_id] = (node, node.model_copy(update={"pos": new_pos}))
        if not self.push(f"{text} {len(nodes)} node{'s' * (len(nodes) != 1)}", Change(nodes=nodes)):
            for node_id in positions:  # the canvas may show a position the document does not have
                self.canvas.move_node_view(node_id, self.node(node_id).pos)
            self.canvas.refresh_zones()

    def request_wires(self, removed: list[WireRef], added: list[WireRef]) -> None:
        """Wires removed and added on the canvas; a refused wire is explained and the canvas redrawn."""
        existing = {wire_of(e): e for e in self.flow.edges}
        refused = [(w, self.wire_problem(w)) for w in added]
        refused = [(w, why) for w, why in refused if why]
        if refused:
            self.message.emit(refused[0][1])
            added = [w for w in added if w not in {r for r, _ in refused}]
        removed_edges = [existing[w] for w in removed if w in existing]
        added_edges = [Edge(src=w[0], dst=w[1]) for w in added if w not in existing]
        if not self.push(self._wire_text(removed_edges, added_edges),
                         Change(removed_edges=removed_edges, added_edges=added_edges)) or refused:
            self.redraw_wires()

    def _wire_text(self, removed: list[Edge], added: list[Edge]) -> str:
        if added:
            e = added[0]
            return f"connect {self.name_of(e.src[0])} {e.src[1]} -> {self.name_of(e.dst[0])} {e.dst[1]}"
        return f"disconnect {len(removed)} wire{'s' * (len(removed) != 1)}"

    def connect(self, src: tuple[str, str], dst: tuple[str, str]) -> str | None:
        """Wire an output to an input (an input that takes one wire loses its old one); the reason if refused."""
        wire = (tuple(src), tuple(dst))
        problem = self.wire_problem(wire)
        if problem:
            self.message.emit(problem)
            return problem
        spec = self.registry.get(self.node(dst[0]).type).spec
        replaced = [] if spec.input(dst[1]).multi else [e for e in self.flow.edges if tuple(e.dst) == tuple(dst)]
        if any(wire_of(e) == wire for e in self.flow.edges):
            return None
        self.request_wires([wire_of(e) for e in replaced], [wire])
        return None

    def disconnect(self, src: tuple[str, str], dst: tuple[str, str]) -> None:
        self.request_wires([(tuple(src), tuple(dst))], [])

    def redraw_wires(self) -> None:
        """Draw the wires of the document again (after the canvas showed a gesture that was refused)."""
        for node_id in self.canvas.node_ids():
            view = self.canvas.node_view(node_id)
            for port in view.output_ports():
                for other in list(port.connected_ports()):
                    self.canvas.disconnect_wire(((node_id, port.name()), (other.node().flow_id, other.name())))
        for edge in self.flow.edges:
            self.canvas.connect_wire(wire_of(edge))

    def set_params(self, node_id: str, params: dict[str, Any], field: str = "") -> str | None:
        """Change a node's parameters after validating them; the pydantic message if they are refused.

        With `field` (a dotted path), only errors of that field refuse the change: a node that is not complete
        yet (a required field elsewhere unset, a rule between fields) takes the edit and validation lists
        what remains to do.
        """
        node = self.node(node_id)
        node_type = self.registry.get(node.type)
        if node_type is not None:
            try:
                node_type.spec.params.model_validate(params)
            except ValidationError as exc:
                reason = field_error(exc, field)
                if reason:
                    readable = refusal_text(reason, model_fields(node_type.spec.params))
                    self.message.emit(f"{self.name_of(node_id)}: {readable}")
                    return reason
        new = node.model_copy(update={"params": params})
        label = f"{field.replace('_', ' ')} of {self.name_of(node_id)}" if field else \
            f"parameters of {self.name_of(node_id)}"
        self.push(f"set {label}", Change(nodes={node_id: (node, new)}), merge_key=("params", node_id, field))
        return None

    def set_node_fields(self, node_id: str, **fields: Any) -> str | None:
        """Change title, disabled or active_rounds of a node; the reason if refused."""
        node = self.node(node_id)
        try:
            new = Node.model_validate({**node.model_dump(), **fields})
            parse_rounds(new.active_rounds)
        except (ValidationError, ValueError) as exc:
            reason = first_error(exc) if isinstance(exc, ValidationError) else f"active rounds: {exc}"
            self.message.emit(f"{node.title or node.type}: {reason}")
            self.canvas.update_node_view(node)
            return reason
        names = ", ".join(fields)
        if not self.push(f"set {names.replace('_', ' ')} of {self.name_of(node_id)}",
                         Change(nodes={node_id: (node, new)})):
            self.canvas.update_node_view(node)
        return None

    def toggle_disabled(self, node_ids: list[str]) -> None:
        """Switch nodes off (or on again when all of them are off) as one step."""
        nodes = [self.node(n) for n in node_ids]
        if not nodes:
            return
        state = not all(n.disabled for n in nodes)
        change = Change(nodes={n.id: (n, n.model_copy(update={"disabled": state})) for n in nodes})
        self.push(f"{'disable' if state else 'enable'} {len(nodes)} node{'s' * (len(nodes) > 1)}", change)

    def paste_fragment(self, nodes: list[Node], edges: list[Edge], offset: tuple[float, float]) -> list[str]:
        """Add copied nodes with fresh ids (wires between them kept), shifted by `offset`; returns new ids."""
        taken = set(self.node_ids())
        mapping: dict[str, str] = {}
        for node in nodes:
            mapping[node.id] = node.id if node.id not in taken else self.new_id(node.type, taken)
            taken.add(mapping[node.id])
        change = Change()
        for node in nodes:
            pos = (node.pos[0] + offset[0], node.pos[1] + offset[1])
            change.nodes[mapping[node.id]] = (None, node.model_copy(update={"id": mapping[node.id], "pos": pos}))
        change.added_edges = [Edge(src=(mapping[e.src[0]], e.src[1]), dst=(mapping[e.dst[0]], e.dst[1]))
                              for e in edges if e.src[0] in mapping and e.dst[0] in mapping]
        self.push(f"paste {len(nodes)} node{'s' * (len(nodes) != 1)}", change)
        self.canvas.select(list(mapping.values()))
        return list(mapping.values())

    def add_note(self, note: Note) -> None:
        index = len(self.flow.notes)
        self.push("add note", Change(notes={index: (None, note)}))

    def edit_note(self, index: int, note: Note, moves: dict | None = None) -> None:
        """Change a note; `moves` (id -> (old, new) position) are the nodes it carried, in the same step."""
        old = self.flow.notes[index]
        change = Change(notes={index: (old, note)})
        for node_id, (_old, new) in (moves or {}).items():
            node = self.node(node_id)
            change.nodes[node_id] = (node, node.model_copy(update={"pos": (round(new[0], 1), round(new[1], 1))}))
        if not self.push("move note" if moves else "edit note", change):
            self.canvas.update_note(index, old)

    def delete_note(self, index: int) -> None:
        self.push("delete note", Change(notes={index: (self.flow.notes[index], None)}))

    def set_meta(self, **fields: Any) -> None:
        """Change the flow's name, author, description or status, as one undoable step (successive edits of
        one field merge)."""
        meta = self.flow.meta
        self.push(f"edit {', '.join(fields)}", Change(meta=(meta, meta.model_copy(update=fields))),
                  merge_key=("meta", *sorted(fields)))
