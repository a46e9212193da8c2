"""Wires on the canvas: coloured by what they carry from the moment they are drawn, and routed around the
nodes when they run backwards (an input left of its output, e.g. a plan wire down a column of objectives)."""

from __future__ import annotations

from NodeGraphQt.constants import PortTypeEnum
from NodeGraphQt.qgraphics.pipe import PipeItem
from Qt import QtCore, QtGui

from planflow_qt.editor.style import PORT_COLORS

LEAD = 14.0
"""How far a routed wire leaves its port straight before it turns (scene units)."""
PICK_WIDTH = 8.0
"""Width of the band around a wire that a click hits."""


class FlowPipeItem(PipeItem):
    """A wire in the colour of its port type; a backward wire runs in the gap between its two nodes."""

    def set_connections(self, port1, port2) -> None:
        super().set_connections(port1, port2)
        flow_type = getattr(self.output_port, "flow_type", None) if self.output_port else None
        if flow_type is not None:
            self.color = (*PORT_COLORS[flow_type], 255)
            self.set_pipe_styling(self.color, 2, self.style)

    def shape(self) -> QtGui.QPainterPath:
        """The wire's stroke only: a bent wire's outline must not catch clicks meant for what it surrounds."""
        stroker = QtGui.QPainterPathStroker()
        stroker.setWidth(PICK_WIDTH)
        return stroker.createStroke(self.path())

    def _draw_path_horizontal(self, start_port, pos1, pos2, path) -> None:
        from_input = start_port.port_type == PortTypeEnum.IN.value
        out_pos, in_pos = (pos2, pos1) if from_input else (pos1, pos2)
        if self.input_port is None or self.output_port is None or in_pos.x() >= out_pos.x() + 2 * LEAD:
            super()._draw_path_horizontal(start_port, pos1, pos2, path)
            return
        points = backward_route(out_pos, in_pos, self.output_port.node.sceneBoundingRect(),
                                self.input_port.node.sceneBoundingRect())
        for point in (reversed(points[:-1]) if from_input else points[1:]):
            path.lineTo(point)
        if from_input:
            path.lineTo(out_pos)
        self.setPath(path)


def backward_route(out_pos: QtCore.QPointF, in_pos: QtCore.QPointF, out_rect: QtCore.QRectF,
                   in_rect: QtCore.QRectF) -> list[QtCore.QPointF]:
    """Corner points from an output to an input left of it: out, right, along the gap between the nodes (or
    below both when they overlap in height), left of the input, in."""
    if in_rect.top() >= out_rect.bottom():
        y = (out_rect.bottom() + in_rect.top()) / 2
    elif out_rect.top() >= in_rect.bottom():
        y = (in_rect.bottom() + out_rect.top()) / 2
    else:
        y = max(out_rect.bottom(), in_rect.bottom()) + LEAD
    right = max(out_pos.x(), out_rect.right()) + LEAD
    left = min(in_pos.x(), in_rect.left()) - LEAD
    return [out_pos, QtCore.QPointF(right, out_pos.y()), QtCore.QPointF(right, y), QtCore.QPointF(left, y),
            QtCore.QPointF(left, in_pos.y()), in_pos]
