"""The canvas: a NodeGraphQt graph that draws a flow and reports what the user asks for.

The canvas holds no state of its own. It draws what the document controller tells it (nodes, wires,
loop zones, notes, problems, run states) and turns the user's gestures (drag a wire, move nodes, tab
search, rename) into request signals; the controller makes them undoable edits of the document and
calls back to redraw. NodeGraphQt's own undo stack and slots are bypassed; its quadratic helpers
(`get_unique_name`, `fit_to_selection`) are not used.
"""

from __future__ import annotations

import functools
import gc
import logging

from NodeGraphQt import NodeGraph
from NodeGraphQt.base.commands import NodeAddedCmd, NodesRemovedCmd, PortConnectedCmd, PortDisconnectedCmd
from NodeGraphQt.constants import PipeLayoutEnum, PortTypeEnum, ViewerEnum
from NodeGraphQt.widgets.viewer import NodeViewer
from Qt import QtCore, QtGui

from planflow_qt.catalog.colors import CATEGORY_COLORS
from planflow_qt.catalog.describe import node_summary, node_title, wired_rois
from planflow_qt.catalog.registry import Registry
from planflow_qt.editor.node_item import FlowNode, FlowNodeItem
from planflow_qt.editor.overlays import LoopZoneItem, NoteItem
from planflow_qt.editor.style import CANVAS_BACKGROUND, CANVAS_GRID, SCREEN, painting_with, theme
from planflow_qt.editor.wires import FlowPipeItem
from planflow_qt.engine.graph import LoopZone
from planflow_qt.engine.problems import Problem, Severity
from planflow_qt.model.document import Edge, Flow, Node, Note

log = logging.getLogger(__name__)

PortRef = tuple[str, str]
WireRef = tuple[PortRef, PortRef]
NODE_MIME = "planflow-node:"


@functools.cache
def _summary_doc(node_type) -> str:
    """The first paragraph of a node type's description, on one line."""
    return " ".join(node_type.doc().split("\n\n")[0].split()) if node_type else "unknown node type"


def wire_of(edge: Edge) -> WireRef:
    """An edge as a hashable `((src node, port), (dst node, port))`."""
    return (tuple(edge.src), tuple(edge.dst))


class FlowViewer(NodeViewer):
    """NodeGraphQt's viewer with typed connections and a hook after every mouse move (zones follow nodes)."""

    connection_refused = QtCore.Signal(str)
    dragged = QtCore.Signal()

    def _validate_reject_connection(self, from_port, to_port) -> bool:
        return type_conflict(from_port, to_port) is not None

    def apply_live_connection(self, event) -> None:
        if self._LIVE_PIPE.isVisible() and self._start_port is not None:
            end = next((i for i in self.scene().items(event.scenePos()) if hasattr(i, "flow_type")), None)
            if end is not None and end is not self._start_port:
                reason = type_conflict(self._start_port, end)
                if reason:
                    self.connection_refused.emit(reason)
        super().apply_live_connection(event)

    def mouseMoveEvent(self, event) -> None:
        super().mouseMoveEvent(event)
        if self.LMB_state:
            self.dragged.emit()

    def establish_connection(self, start_port, end_port) -> None:
        """Draw a wire between two ports (coloured by its type, routed around nodes when it runs backwards)."""
        pipe = FlowPipeItem()
        self.scene().addItem(pipe)
        pipe.set_connections(start_port, end_port)
        pipe.draw_path(pipe.input_port, pipe.output_port)
        if start_port.node.selected or end_port.node.selected:
            pipe.highlight()
        if not start_port.node.visible or not end_port.node.visible:
            pipe.hide()


def type_conflict(from_port, to_port) -> str | None:
    """Why two port items may not be wired (types differ, or both inputs / outputs), or None."""
    a, b = getattr(from_port, "flow_type", None), getattr(to_port, "flow_type", None)
    if a is None or b is None:
        return None
    out, inp = (from_port, to_port) if from_port.port_type == PortTypeEnum.OUT.value else (to_port, from_port)
    if out.port_type == inp.port_type:
        return None
    if a is not b:
        return (f"cannot connect {out.flow_type.value} output '{out.name}' to {inp.flow_type.value} input "
                f"'{inp.name}': types differ")
    return None


class FlowCanvas(NodeGraph):
    """The node graph view of one flow (see module doc)."""

    wires_requested = QtCore.Signal(list, list)       # removed wires, added wires
    move_requested = QtCore.Signal(dict)              # node id -> (old pos, new pos)
    create_requested = QtCore.Signal(str, tuple)      # type id, scene position
    title_requested = QtCore.Signal(str, str)         # node id, new title
    selection_changed = QtCore.Signal(list)           # selected node ids
    note_requested = QtCore.Signal(int, object, dict)  # note index, new Note, carried node moves
    connection_refused = QtCore.Signal(str)

    def __init__(self, registry: Registry, parent=None):
        self.registry = registry
        viewer = FlowViewer()
        super().__init__(parent, viewer=viewer)
        self._nodes: dict[str, FlowNode] = {}
        self._zones: list[LoopZoneItem] = []
        self._problems: dict[str, list[Problem]] = {}
        self._run_notes: dict[str, list[tuple[Severity, str]]] = {}
        self._notes: list[NoteItem] = []
        self._search_types: dict[str, str] = {}
        self._rois: dict[str, dict[str, str]] = {}
        self.set_background_color(*CANVAS_BACKGROUND)
        self.set_grid_color(*CANVAS_GRID)
        self.set_pipe_style(PipeLayoutEnum.CURVED.value)
        viewer.connection_refused.connect(self.connection_refused)
        viewer.dragged.connect(self.refresh_zones)

    # -- NodeGraphQt's slots replaced by requests -------------------------------------------------------------
    def _wire_signals(self) -> None:
        viewer = self.viewer()
        viewer.connection_changed.connect(self._on_wires_changed)
        viewer.connection_sliced.connect(lambda pairs: self._on_wires_changed(pairs, []))
        viewer.moved_nodes.connect(self._on_moved)
        viewer.search_triggered.connect(self._on_searched)
        viewer.node_name_changed.connect(self._on_renamed)
        viewer.node_selection_changed.connect(lambda *_: self.selection_changed.emit(self.selected_ids()))
        viewer.node_selected.connect(lambda *_: self.selection_changed.emit(self.selected_ids()))
        viewer.data_dropped.connect(self._on_dropped)

    def _on_searched(self, entry: str, pos) -> None:
        type_id = self._search_types.get(entry)
        if type_id is not None:
            self.create_requested.emit(type_id, tuple(pos))

    def _port_ref(self, item) -> PortRef:
        return (item.node.flow_id, item.name)

    def _wire(self, a, b) -> WireRef:
        out, inp = (a, b) if a.port_type == PortTypeEnum.OUT.value else (b, a)
        return (self._port_ref(out), self._port_ref(inp))

    def _on_wires_changed(self, disconnected: list, connected: list) -> None:
        removed = [self._wire(a, b) for a, b in disconnected]
        added = [self._wire(a, b) for a, b in connected]
        if removed or added:
            self.wires_requested.emit(removed, added)

    def _on_moved(self, moved: dict) -> None:
        changes = {item.flow_id: (tuple(old), tuple(item.xy_pos)) for item, old in moved.items()
                   if getattr(item, "flow_id", None)}
        if changes:
            self.move_requested.emit(changes)

    def _on_renamed(self, view_id: str, name: str) -> None:
        node = self.model.nodes.get(view_id)
        if isinstance(node, FlowNode):
            self.title_requested.emit(node.flow_id, name)

    def _on_dropped(self, mime: QtCore.QMimeData, pos: QtCore.QPoint) -> None:
        text = mime.text()
        if text.startswith(NODE_MIME):
            self.create_requested.emit(text[len(NODE_MIME):], (float(pos.x()), float(pos.y())))

    # -- building ---------------------------------------------------------------------------------------------
    def search_entries(self) -> dict[str, list[str]]:
        """Tab-search entries: title -> [`Category.n`]; the menu groups entries by the part before the dot, so
        its submenus are the palette's categories."""
        self._search_types = {f"{t.spec.category.value}.{n}": t.spec.type_id for n, t in enumerate(self.registry)}
        return {self.registry.get(type_id).spec.title: [entry] for entry, type_id in self._search_types.items()}

    def build(self, flow: Flow) -> None:
        """Draw a whole flow (replacing what was drawn), with one viewport update at the end."""
        viewer = self.viewer()
        viewer.setUpdatesEnabled(False)
        scene = self.scene()
        scene.blockSignals(True)
        collecting = gc.isenabled()
        gc.disable()  # thousands of Qt items: cyclic collections in the middle only cost time
        try:
            self.clear()
            self._rois = wired_rois(flow, self.registry)
            for node in flow.nodes:
                self.add_node_view(node)
            for edge in flow.edges:
                self.connect_wire(wire_of(edge))
            for index, note in enumerate(flow.notes):
                self.insert_note(index, note)
        finally:
            if collecting:
                gc.enable()
            scene.blockSignals(False)
            viewer.setUpdatesEnabled(True)
        scene.update()

    def clear(self) -> None:
        """Remove every node, wire, zone and note."""
        for item in self._zones + self._notes:
            self.scene().removeItem(item)
        self._zones, self._notes = [], []
        for node in list(self._nodes.values()):
            for port in node.input_ports() + node.output_ports():
                for pipe in list(port.view.connected_pipes):
                    pipe.delete()
            NodesRemovedCmd(self, [node], emit_signal=False).redo()
        self._nodes.clear()
        self.model.nodes.clear()

    def add_node_view(self, node: Node) -> FlowNode:
        """Draw one node at its position."""
        node_type = self.registry.get(node.type)
        view = FlowNode()
        view.flow_id = node.id
        item: FlowNodeItem = view.view
        item.flow_id = node.id
        item.visible = True
        if node_type is not None:
            item.header_color = CATEGORY_COLORS[node_type.spec.category]
            for port in node_type.spec.all_inputs():
                view.add_spec_port(port, is_input=True)
            for port in node_type.spec.outputs:
                view.add_spec_port(port, is_input=False)
        title = node_title(node, node_type)
        view.model.name = view.NODE_NAME = title
        item.name = title
        item.summary = node_summary(node, node_type, self._rois.get(node.id))
        item.own_title = bool(node.title)
        item.disabled = node.disabled
        view.model.disabled = node.disabled
        item.setToolTip(self._tooltip(node, node_type))
        view._graph = self
        view.model._graph_model = self.model
        for key in ("_TEMP_property_widget_types", "_TEMP_property_attrs", "_TEMP_accept_connection_types",
                    "_TEMP_reject_connection_types"):
            view.model.__dict__.pop(key, None)
        view.model.pos = list(node.pos)
        NodeAddedCmd(self, view, pos=list(node.pos), emit_signal=False).redo()
        self._nodes[node.id] = view
        return view

    @staticmethod
    def _tooltip(node: Node, node_type) -> str:
        kind = f" <i>({node_type.spec.title})</i>" if node_type and node.title else ""
        return f"<b>{node_title(node, node_type)}</b>{kind}<br>{_summary_doc(node_type)}"

    def remove_node_view(self, node_id: str) -> None:
        """Remove a node (its wires must have been removed)."""
        view = self._nodes.pop(node_id)
        NodesRemovedCmd(self, [view], emit_signal=False).redo()

    def update_node_view(self, node: Node) -> None:
        """Redraw title, summary, disabled state and position of a node after its document changed."""
        view = self._nodes[node.id]
        node_type = self.registry.get(node.type)
        item: FlowNodeItem = view.view
        title = node_title(node, node_type)
        if item.name != title:
            view.model.name = view.NODE_NAME = title
            item.name = title
        if item.disabled != node.disabled:
            item.disabled = node.disabled
            view.model.disabled = node.disabled
        item.setToolTip(self._tooltip(node, node_type))
        item.summary = node_summary(node, node_type, self._rois.get(node.id))
        item.own_title = bool(node.title)
        item.draw_node()
        self.move_node_view(node.id, node.pos)

    def move_node_view(self, node_id: str, pos: tuple[float, float]) -> None:
        """Place a node at `pos` (top left, scene coordinates)."""
        view = self._nodes[node_id]
        if tuple(view.view.xy_pos) != tuple(pos):
            view.view.xy_pos = list(pos)
        view.model.pos = list(pos)

    def _ports(self, wire: WireRef):
        (src, out_name), (dst, in_name) = wire
        src_node, dst_node = self._nodes.get(src), self._nodes.get(dst)
        if src_node is None or dst_node is None:
            return None, None
        return src_node.port_map.get((False, out_name)), dst_node.port_map.get((True, in_name))

    def connect_wire(self, wire: WireRef) -> None:
        """Draw a wire (wires to unknown nodes or ports are not drawn; validation reports them)."""
        out, inp = self._ports(wire)
        if out is None or inp is None or inp in out.connected_ports():
            return
        PortConnectedCmd(out, inp, False).redo()

    def disconnect_wire(self, wire: WireRef) -> None:
        """Remove a drawn wire."""
        out, inp = self._ports(wire)
        if out is None or inp is None:
            return
        if inp in out.connected_ports():
            PortDisconnectedCmd(out, inp, False).redo()
        for pipe in list(out.view.connected_pipes):
            if pipe.input_port is inp.view:
                pipe.delete()

    # -- notes and loop zones ----------------------------------------------------------------------------------
    def insert_note(self, index: int, note: Note) -> None:
        """Draw a note at position `index` of the document's notes."""
        item = NoteItem(note, self._on_note_edited, self._nodes_inside)
        self.scene().addItem(item)
        self._notes.insert(index, item)

    def remove_note(self, index: int) -> None:
        self.scene().removeItem(self._notes.pop(index))

    def update_note(self, index: int, note: Note) -> None:
        self._notes[index].set_note(note)

    def note_items(self) -> list[NoteItem]:
        return list(self._notes)

    def _on_note_edited(self, item: NoteItem, note: Note, moves: dict) -> None:
        self.note_requested.emit(self._notes.index(item), note, moves)

    def _nodes_inside(self, rect: QtCore.QRectF) -> list:
        """Node items lying wholly inside a scene rectangle (what a note carries when it moves)."""
        return [view.view for view in self._nodes.values() if rect.contains(view.view.sceneBoundingRect())]

    def set_zones(self, zones: list[LoopZone], titles: dict[str, str]) -> None:
        """Draw a frame behind each loop body (begin, body, end)."""
        for item in self._zones:
            self.scene().removeItem(item)
        self._zones = []
        for zone in zones:
            members = [zone.begin, *zone.body, zone.end]
            item = LoopZoneItem(titles.get(zone.begin, "Rounds"),
                                [self._nodes[n].view for n in members if n in self._nodes])
            self.scene().addItem(item)
            self._zones.append(item)

    def refresh_zones(self) -> None:
        """Fit every zone frame to its nodes again (after nodes moved)."""
        for item in self._zones:
            item.fit()

    def zone_items(self) -> list[LoopZoneItem]:
        return list(self._zones)

    # -- decorations -------------------------------------------------------------------------------------------
    def refresh_summaries(self, flow: Flow) -> None:
        """Summaries again of the nodes whose wired ROIs changed (wires or ROI names); an edited node's own
        summary is redrawn with its edit."""
        old, self._rois = self._rois, wired_rois(flow, self.registry)
        for node in flow.nodes:
            view = self._nodes.get(node.id)
            if view is not None and old.get(node.id) != self._rois.get(node.id):
                view.view.set_summary(node_summary(node, self.registry.get(node.type), self._rois.get(node.id)))

    def set_problems(self, problems: dict[str, list[Problem]]) -> None:
        """Badge the nodes that have problems (node id -> problems); clear the others."""
        self._problems = problems
        for node_id in self._nodes:
            self._badge(node_id)

    def add_run_note(self, node_id: str, severity: Severity, text: str) -> None:
        """Add what a run said of a node (a warning, why it was skipped, its failure) to its badge."""
        self._run_notes.setdefault(node_id, []).append((severity, text))
        self._badge(node_id)

    def _badge(self, node_id: str) -> None:
        view = self._nodes.get(node_id)
        if view is None:
            return
        notes = [(p.severity, f"{'' if p.is_error else 'warning: '}{p.field}: {p.message}")
                 for p in self._problems.get(node_id, [])]
        notes += self._run_notes.get(node_id, [])
        view.view.set_messages([text for _, text in notes], any(s is Severity.ERROR for s, _ in notes))

    def set_run_state(self, node_id: str, state: str | None) -> None:
        view = self._nodes.get(node_id)
        if view is not None:
            view.view.set_run_state(state)

    def clear_run_states(self) -> None:
        """Forget the last run: its states and its notes on the badges."""
        for view in self._nodes.values():
            view.view.set_run_state(None)
        noted, self._run_notes = self._run_notes, {}
        for node_id in noted:
            self._badge(node_id)

    # -- queries and view --------------------------------------------------------------------------------------
    def node_view(self, node_id: str) -> FlowNode:
        return self._nodes[node_id]

    def node_ids(self) -> list[str]:
        return list(self._nodes)

    def selected_ids(self) -> list[str]:
        """Selected node ids, in drawing order."""
        return [node_id for node_id, view in self._nodes.items() if view.view.isSelected()]

    def select(self, node_ids: list[str]) -> None:
        """Select exactly these nodes."""
        wanted = set(node_ids)
        for node_id, view in self._nodes.items():
            view.view.setSelected(node_id in wanted)
        self.selection_changed.emit(self.selected_ids())

    def node_rect(self, node_ids: list[str] | None = None) -> QtCore.QRectF:
        """Scene rectangle around these nodes (all nodes and notes when None)."""
        items = [self._nodes[n].view for n in (node_ids if node_ids is not None else self._nodes)
                 if n in self._nodes]
        if node_ids is None:
            items += self._notes
        rect = QtCore.QRectF()
        for item in items:
            rect = rect.united(item.sceneBoundingRect())
        return rect

    def fit(self, node_ids: list[str] | None = None, margin: float = 40.0) -> None:
        """Zoom to show these nodes (all when None), in linear time."""
        rect = self.node_rect(node_ids)
        if rect.isNull():
            return
        viewer = self.viewer()
        rect = rect.adjusted(-margin, -margin, margin, margin)
        view_ratio = max(viewer.width(), 1) / max(viewer.height(), 1)
        if rect.width() / rect.height() < view_ratio:
            extra = rect.height() * view_ratio - rect.width()
            rect.adjust(-extra / 2, 0, extra / 2, 0)
        else:
            extra = rect.width() / view_ratio - rect.height()
            rect.adjust(0, -extra / 2, 0, extra / 2)
        if node_ids is not None and rect.width() < viewer.width():  # never zoom in past 100 % on a few nodes
            rect = QtCore.QRectF(0, 0, viewer.width(), viewer.height()).translated(
                rect.center() - QtCore.QPointF(viewer.width() / 2, viewer.height() / 2))
        viewer.set_scene_rect([rect.x(), rect.y(), rect.width(), rect.height()])

    def actual_size(self) -> None:
        """Show the scene at 100 % (one scene unit per pixel), around the origin where new nodes go."""
        viewer = self.viewer()
        rect = QtCore.QRectF(viewer.viewport().rect()).adjusted(2, 2, -2, -2)  # fitInView keeps a 2 px margin
        rect.moveCenter(QtCore.QPointF(rect.width() / 2 - 60, rect.height() / 2 - 60))
        viewer.set_scene_rect([rect.x(), rect.y(), rect.width(), rect.height()])

    def zoom_on(self, node_id: str, zoom: float = 0.8) -> None:
        """Centre the view on a node at a zoom factor (1.0: one scene unit per pixel)."""
        view = self._nodes.get(node_id)
        if view is None:
            return
        viewer = self.viewer()
        size = QtCore.QSizeF(viewer.width() / zoom, viewer.height() / zoom)
        rect = QtCore.QRectF(QtCore.QPointF(0, 0), size)
        rect.moveCenter(view.view.sceneBoundingRect().center())
        viewer.set_scene_rect([rect.x(), rect.y(), rect.width(), rect.height()])

    def center_on_node(self, node_id: str) -> None:
        """Scroll so the node is in the middle of the view, keeping the zoom."""
        view = self._nodes.get(node_id)
        if view is None:
            return
        viewer = self.viewer()
        rect = QtCore.QRectF(*viewer.scene_rect())
        rect.moveCenter(view.view.sceneBoundingRect().center())
        viewer.set_scene_rect([rect.x(), rect.y(), rect.width(), rect.height()])

    def open_search(self) -> None:
        """Open the tab-search menu at the cursor (modal: it returns when the user picked or left)."""
        self.viewer().tab_search_set_nodes(self.search_entries())

    def render_to(self, painter: QtGui.QPainter, target: QtCore.QRectF, source: QtCore.QRectF) -> None:
        """Paint the scene region `source` into `target` (export) in the current theme, with no grid."""
        scene = self.scene()
        grid, background = scene.grid_mode, scene.background_color
        scene.grid_mode = ViewerEnum.GRID_DISPLAY_NONE.value
        scene.background_color = theme().background
        self.restyle()
        try:
            scene.render(painter, target, source)
        finally:
            scene.grid_mode, scene.background_color = grid, background
            with painting_with(SCREEN):
                self.restyle()

    def restyle(self) -> None:
        """Wires and port names in the colours of the current theme."""
        for view in self._nodes.values():
            view.view.apply_theme()
        for item in self.scene().items():
            if isinstance(item, FlowPipeItem):
                item.restyle()

