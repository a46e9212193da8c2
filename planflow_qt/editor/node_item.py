"""The one generic canvas node: a NodeGraphQt node drawn from a node spec, with problem badge and run state.

Every node type uses this class (DESIGN: no Qt class per node type). Ports carry the spec's names; their
colour and shape say their type. The item draws a category-coloured header with the title, a line that
summarizes the parameters, labelled ports, a badge for its messages (red for errors, amber for warnings,
skips and run warnings; its tooltip lists them), and a coloured outline for its run state. Zoomed out (a whole
flow at Fit), it draws only its title in large type on its category colour, so a diagram stays legible at any
size; a switched-off node is greyed with a dashed outline.
"""

from __future__ import annotations

from NodeGraphQt import BaseNode
from NodeGraphQt.constants import PortTypeEnum
from NodeGraphQt.qgraphics.node_base import NodeItem
from NodeGraphQt.qgraphics.port import CustomPortItem
from Qt import QtCore, QtGui, QtWidgets

from planflow_qt.catalog.spec import Port, PortType
from planflow_qt.editor.style import PROBLEM_RED, STATE_COLORS, WARNING_AMBER, theme
from planflow_qt.engine.states import NodeState

HEADER_HEIGHT = 24.0
SUMMARY_HEIGHT = 18.0
PORT_SIZE = 17.0
MIN_WIDTH = 190.0
MAX_WIDTH = 320.0
SELECTED_BORDER = (254, 207, 42)
SWITCHED_OFF_WIDTH = 80.0
OVERVIEW_SCALE = 0.6
"""Below this zoom (screen pixels per scene unit) nodes are drawn as titles only."""
OVERVIEW_TEXT_PX = 13.0
"""Height on screen of an overview title, while it fits its node."""
STATE_GLYPHS = {NodeState.PENDING: "…", NodeState.RUNNING: "▶", NodeState.DONE: "✓", NodeState.SKIPPED: "↷",
                NodeState.FAILED: "✗"}


def _shape(painter: QtGui.QPainter, rect: QtCore.QRectF, kind: str) -> None:
    if kind == "diamond":
        c = rect.center()
        r = rect.width() / 2
        painter.drawPolygon(QtGui.QPolygonF([QtCore.QPointF(c.x(), c.y() - r), QtCore.QPointF(c.x() + r, c.y()),
                                             QtCore.QPointF(c.x(), c.y() + r), QtCore.QPointF(c.x() - r, c.y())]))
    elif kind == "square":
        painter.drawRoundedRect(rect.adjusted(1, 1, -1, -1), 2, 2)
    else:
        painter.drawEllipse(rect)


PORT_SHAPES = {PortType.PLAN: "circle", PortType.ROI: "circle", PortType.FUNCTION: "square",
               PortType.BOOL: "diamond", PortType.NUMBER: "square"}


def port_painter(port_type: PortType):
    """A NodeGraphQt port paint function: the type's colour and shape, filled when connected."""
    shape = PORT_SHAPES[port_type]

    def paint(painter: QtGui.QPainter, rect: QtCore.QRectF, info: dict) -> None:
        color = QtGui.QColor(*theme().wires[port_type])
        painter.save()
        rect = QtCore.QRectF(rect.center().x() - 5, rect.center().y() - 5, 10, 10)
        if info["hovered"]:
            rect.adjust(-2, -2, 2, 2)
        painter.setPen(QtGui.QPen(color.lighter(130) if info["hovered"] else color, 1.6))
        painter.setBrush(color if info["connected"] or info["hovered"] else QtGui.QColor(*theme().node_body))
        _shape(painter, rect, shape)
        painter.restore()

    return paint


SELECTED_CHANGE = QtWidgets.QGraphicsItem.ItemSelectedChange
SCENE_POSITION_CHANGED = QtWidgets.QGraphicsItem.ItemScenePositionHasChanged


class FlowPortItem(CustomPortItem):
    """A port drawn by a paint function; reacts only to moves (Qt calls itemChange thousands of times on load)."""

    def itemChange(self, change, value):
        if change == SCENE_POSITION_CHANGED and self._pipes:
            self.redraw_connected_pipes()
        return value

    def paint(self, painter: QtGui.QPainter, option, widget=None) -> None:
        """Not drawn while its node is drawn as an overview (the wires still end here)."""
        if not getattr(self.parentItem(), "_proxy_mode", False):
            super().paint(painter, option, widget)


class PortLabel(QtWidgets.QGraphicsSimpleTextItem):
    """A port name: a light text item (NodeGraphQt's rich-text items are slow to create by the hundred)."""

    def setDefaultTextColor(self, color: QtGui.QColor) -> None:
        self.setBrush(color)


class ProblemBadge(QtWidgets.QGraphicsItem):
    """A circle with '!' on the node's corner, red when an error is among its messages, amber otherwise; its
    tooltip lists the messages."""

    SIZE = 18.0
    error = True

    def boundingRect(self) -> QtCore.QRectF:
        return QtCore.QRectF(0, 0, self.SIZE, self.SIZE)

    def paint(self, painter: QtGui.QPainter, option, widget=None) -> None:
        if not theme().decorations:
            return
        painter.save()
        painter.setRenderHint(QtGui.QPainter.Antialiasing, True)
        painter.setPen(QtGui.QPen(QtGui.QColor(255, 255, 255), 1.5))
        painter.setBrush(QtGui.QColor(*(PROBLEM_RED if self.error else WARNING_AMBER)))
        painter.drawEllipse(self.boundingRect().adjusted(1, 1, -1, -1))
        font = painter.font()
        font.setBold(True)
        font.setPointSizeF(9)
        painter.setFont(font)
        painter.drawText(self.boundingRect(), QtCore.Qt.AlignCenter, "!")
        painter.restore()


class FlowNodeItem(NodeItem):
    """The drawing of a flow node (see module doc)."""

    full_detail = False

    @property
    def disabled(self) -> bool:
        return NodeItem.disabled.fget(self)

    @disabled.setter
    def disabled(self, state: bool = False) -> None:
        NodeItem.disabled.fset(self, state)
        self._x_item.setVisible(False)  # a dashed outline says it; a cross would hide the parameters

    def __init__(self, name: str = "node", parent=None):
        super().__init__(name, parent)
        self._icon_item.setVisible(False)
        font = self._text_item.font()
        font.setBold(True)
        font.setPointSizeF(9.0)
        self._text_item.setFont(font)
        self.summary = ""
        self.own_title = False
        self._overview_font: tuple[str, float, QtGui.QFont] | None = None
        self.header_color: tuple[int, int, int] = (90, 90, 90)
        self.run_state: str | None = None
        self.badge = ProblemBadge(self)
        self.badge.setVisible(False)
        self.badge.setZValue(5)

    # -- ports: light labels, light port items ------------------------------------------------------------------
    def itemChange(self, change, value):
        if change == SELECTED_CHANGE:
            return super().itemChange(change, value)
        return value

    def _new_port(self, name: str, port_type: str, multi: bool, display_name: bool, locked: bool, painter_func):
        port = FlowPortItem(self, painter_func)
        port.name, port.port_type, port.multi_connection = name, port_type, multi
        port.display_name, port.locked = display_name, locked
        return self._add_port(port)

    def add_input(self, name="input", multi_port=False, display_name=True, locked=False, painter_func=None):
        return self._new_port(name, PortTypeEnum.IN.value, multi_port, display_name, locked, painter_func)

    def add_output(self, name="output", multi_port=False, display_name=True, locked=False, painter_func=None):
        return self._new_port(name, PortTypeEnum.OUT.value, multi_port, display_name, locked, painter_func)

    def _add_port(self, port):
        text = PortLabel(port.name, self)
        font = text.font()
        font.setPointSizeF(8.0)
        text.setFont(font)
        text.setVisible(port.display_name)
        if port.port_type == PortTypeEnum.IN.value:
            self._input_items[port] = text
        else:
            self._output_items[port] = text
        return port

    def _tooltip_disable(self, state: bool) -> None:
        """Tooltips are set by the canvas (title, type, problems)."""

    def auto_switch_mode(self) -> None:
        """Overview drawing when the view is zoomed out, except while exporting (`full_detail`)."""
        viewer = self.viewer()
        overview = (not FlowNodeItem.full_detail and viewer is not None
                    and viewer.transform().m11() < OVERVIEW_SCALE)
        if overview is not self._proxy_mode:
            self.set_proxy_mode(overview)

    # -- layout ----------------------------------------------------------------------------------------------------
    def _summary_font(self) -> QtGui.QFont:
        font = QtGui.QFont(self._text_item.font())
        font.setBold(False)
        font.setPointSizeF(8.0)
        return font

    def _draw_node_horizontal(self) -> None:
        if self.scene() is None:  # laid out once it is in the scene (post_init), not at every property set
            return
        title_width = self._text_item.boundingRect().width()
        in_width = max((t.boundingRect().width() for t in self._input_items.values()), default=0.0)
        out_width = max((t.boundingRect().width() for t in self._output_items.values()), default=0.0)
        summary_width = QtGui.QFontMetricsF(self._summary_font()).horizontalAdvance(self.summary) + 20
        title_room = title_width + 36 + (SWITCHED_OFF_WIDTH if self.disabled else 0)
        width = max(MIN_WIDTH, title_room, in_width + out_width + 56, min(summary_width, MAX_WIDTH))
        rows = max(len(self._input_items), len(self._output_items), 1)
        top = HEADER_HEIGHT + SUMMARY_HEIGHT
        self._width = width
        self._height = top + rows * (PORT_SIZE + 1) + 4.0
        self.apply_theme()
        text_height = self._text_item.boundingRect().height()
        self._text_item.setPos(6.0, (HEADER_HEIGHT - text_height) / 2)
        self.align_ports(v_offset=top)
        for port, label in self._input_items.items():
            label.setPos(9.0, port.y() + (PORT_SIZE - label.boundingRect().height()) / 2)
        for port, label in self._output_items.items():
            label.setPos(width - 9.0 - label.boundingRect().width(),
                         port.y() + (PORT_SIZE - label.boundingRect().height()) / 2)
        self.badge.setPos(width - ProblemBadge.SIZE + 6, -8)
        self.update()

    def apply_theme(self) -> None:
        """Port names in the theme's text colour; the title stays white on its category colour."""
        color = QtGui.QColor(*theme().port_text)
        for label in (*self._input_items.values(), *self._output_items.values()):
            label.setBrush(color)
        self._text_item.setDefaultTextColor(QtGui.QColor(255, 255, 255))

    def set_summary(self, text: str) -> None:
        """Change the summary line and re-layout."""
        if text != self.summary:
            self.summary = text
            self.draw_node()

    def set_run_state(self, state: str | None) -> None:
        """Outline the node in the colour of its run state (None: no run shown)."""
        if state != self.run_state:
            self.run_state = state
            self.update()

    def set_messages(self, messages: list[str], error: bool) -> None:
        """Show or hide the badge (red when `error`, amber otherwise); its tooltip lists the messages."""
        self.badge.setVisible(bool(messages))
        self.badge.setToolTip("\n".join(messages))
        if error != self.badge.error:
            self.badge.error = error
            self.badge.update()

    # -- painting --------------------------------------------------------------------------------------------------
    def overview_text(self) -> str:
        """What the node says zoomed out: its own title, else the first two parts of its summary up to a comma
        (an objective's ROI, function and dose), else its type's title."""
        if self.own_title or not self.summary:
            return self.name
        return " · ".join(self.summary.split(" · ")[:2]).split(",")[0]

    def _fitted_font(self, painter: QtGui.QPainter, text: str, box: QtCore.QRectF) -> QtGui.QFont:
        """A bold font as large as OVERVIEW_TEXT_PX on screen, shrunk until the wrapped text fits the box."""
        scale = max(painter.worldTransform().m11(), 1e-3)
        cached = self._overview_font
        if cached is not None and cached[0] == text and abs(cached[1] - scale) < 1e-3:
            return cached[2]
        font = QtGui.QFont(self._text_item.font())
        font.setBold(True)
        size = min(OVERVIEW_TEXT_PX / scale, box.height() * 0.42)
        flags = int(QtCore.Qt.AlignCenter | QtCore.Qt.TextWordWrap)
        for _ in range(6):  # shrink by the area ratio: two or three measurements at most, as a rule
            font.setPixelSize(max(int(size), 1))
            needed = QtGui.QFontMetricsF(font).boundingRect(box, flags, text)
            if (needed.width() <= box.width() and needed.height() <= box.height()) or size <= 4:
                break
            ratio = (box.width() * box.height()) / max(needed.width() * needed.height(), 1.0)
            size *= min(0.92, max(0.5, ratio ** 0.5))
        self._overview_font = (text, scale, font)
        return font

    def _state_color(self) -> QtGui.QColor | None:
        """The colour of the node's run state, if one is shown (exports show none)."""
        if self.run_state not in STATE_COLORS or not theme().decorations:
            return None
        return QtGui.QColor(*STATE_COLORS[self.run_state])

    def _paint_overview(self, painter: QtGui.QPainter, rect: QtCore.QRectF) -> None:
        header = QtGui.QColor(*self.header_color) if not self.disabled else QtGui.QColor(95, 98, 104)
        painter.setPen(QtCore.Qt.NoPen)
        painter.setBrush(header.darker(115))
        painter.drawRoundedRect(rect, 6, 6)
        state_color = self._state_color()
        if state_color is not None or self.selected:
            color = state_color if state_color is not None else QtGui.QColor(*SELECTED_BORDER)
            painter.setBrush(QtCore.Qt.NoBrush)
            painter.setPen(QtGui.QPen(color, 6.0))
            painter.drawRoundedRect(rect.adjusted(3, 3, -3, -3), 6, 6)
        box = rect.adjusted(8, 6, -8, -6)
        text = self.overview_text()
        painter.setFont(self._fitted_font(painter, text, box))
        painter.setPen(QtGui.QColor(255, 255, 255))
        painter.drawText(box, int(QtCore.Qt.AlignCenter | QtCore.Qt.TextWordWrap), text)

    def paint(self, painter: QtGui.QPainter, option, widget=None) -> None:
        self.auto_switch_mode()
        if self._proxy_mode:
            painter.save()
            painter.setRenderHint(QtGui.QPainter.Antialiasing, True)
            self._paint_overview(painter, QtCore.QRectF(0.0, 0.0, self._width, self._height))
            painter.restore()
            return
        painter.save()
        painter.setRenderHint(QtGui.QPainter.Antialiasing, True)
        rect = QtCore.QRectF(0.0, 0.0, self._width, self._height)
        radius = 5.0
        body = QtGui.QColor(*theme().node_body)
        header = QtGui.QColor(*self.header_color)
        if self.disabled:
            body, header = body.darker(130), QtGui.QColor(95, 98, 104)
        painter.setPen(QtCore.Qt.NoPen)
        painter.setBrush(body)
        painter.drawRoundedRect(rect, radius, radius)
        painter.save()
        painter.setClipRect(QtCore.QRectF(0, 0, self._width, HEADER_HEIGHT))
        painter.setBrush(header)
        painter.drawRoundedRect(rect, radius, radius)
        painter.restore()
        state_color = self._state_color()
        pill_width = self._paint_state(painter, state_color) if state_color is not None else 0.0
        if self.summary and not self._proxy_mode:
            painter.setFont(self._summary_font())
            painter.setPen(QtGui.QColor(*theme().node_subtext))
            text_rect = QtCore.QRectF(8, HEADER_HEIGHT + 1, self._width - 16 - pill_width, SUMMARY_HEIGHT - 2)
            elided = painter.fontMetrics().elidedText(self.summary, QtCore.Qt.ElideRight, int(text_rect.width()))
            painter.drawText(text_rect, QtCore.Qt.AlignLeft | QtCore.Qt.AlignVCenter, elided)
        if self.disabled:
            painter.setFont(self._summary_font())
            painter.setPen(QtGui.QColor(*theme().node_subtext))
            painter.drawText(QtCore.QRectF(0, 0, self._width - 8, HEADER_HEIGHT),
                             QtCore.Qt.AlignRight | QtCore.Qt.AlignVCenter, "switched off")
        if state_color is not None:
            pen, border = QtGui.QPen(state_color, 3.0), rect.adjusted(1.5, 1.5, -1.5, -1.5)
        elif self.disabled and not self.selected:
            pen, border = QtGui.QPen(QtGui.QColor(*theme().node_subtext), 1.2, QtCore.Qt.DashLine), rect
        elif self.selected:
            pen, border = QtGui.QPen(QtGui.QColor(*SELECTED_BORDER), 2.0), rect.adjusted(1, 1, -1, -1)
        else:
            pen, border = QtGui.QPen(QtGui.QColor(*theme().node_border), 1.0), rect
        painter.setBrush(QtCore.Qt.NoBrush)
        painter.setPen(pen)
        painter.drawRoundedRect(border, radius, radius)
        if state_color is not None and self.selected:
            painter.setPen(QtGui.QPen(QtGui.QColor(*SELECTED_BORDER), 1.2))
            painter.drawRoundedRect(rect.adjusted(4, 4, -4, -4), radius - 2, radius - 2)
        painter.restore()

    def _paint_state(self, painter: QtGui.QPainter, color: QtGui.QColor) -> float:
        """A pill on the summary line that names the run state (colour alone is not enough); its width."""
        if self._proxy_mode and not FlowNodeItem.full_detail:
            return 0.0
        text = f"{STATE_GLYPHS.get(self.run_state, '')} {self.run_state}"
        font = self._summary_font()
        font.setBold(True)
        painter.setFont(font)
        width = painter.fontMetrics().horizontalAdvance(text) + 12
        pill = QtCore.QRectF(self._width - width - 6, HEADER_HEIGHT + 2, width, SUMMARY_HEIGHT - 3)
        painter.setPen(QtCore.Qt.NoPen)
        painter.setBrush(color)
        painter.drawRoundedRect(pill, 7, 7)
        painter.setPen(QtGui.QColor(20, 22, 26))
        painter.drawText(pill, QtCore.Qt.AlignCenter, text)
        return width + 6


class FlowNode(BaseNode):
    """The NodeGraphQt node of every flow node; `flow_id` is the document's stable node id."""

    __identifier__ = "planflow"
    NODE_NAME = "Node"

    def __init__(self):
        super().__init__(qgraphics_item=FlowNodeItem)
        self.flow_id = ""
        self.port_map: dict[tuple[bool, str], object] = {}

    def add_spec_port(self, port: Port, is_input: bool):
        """Add a port named and typed as in the spec."""
        painter = port_painter(port.type)
        if is_input:
            made = self.add_input(port.name, multi_input=port.multi, painter_func=painter)
        else:
            made = self.add_output(port.name, multi_output=True, painter_func=painter)
        made.view.flow_type = port.type
        made.view._width = made.view._height = PORT_SIZE
        self.port_map[(is_input, port.name)] = made
        made.view.setToolTip(f"{port.name}: {port.type.value}{' (optional)' if port.optional else ''}"
                             + (f"\n{port.doc}" if port.doc else ""))
        return made
