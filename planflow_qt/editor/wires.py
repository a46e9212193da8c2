"""Wires on the canvas: coloured by what they carry from the moment they are drawn, and routed around the
nodes when they run backwards (an input left of its output, e.g. a plan wire down a column of objectives)."""

from __future__ import annotations

from NodeGraphQt.constants import PortTypeEnum
from NodeGraphQt.qgraphics.pipe import PipeItem
from Qt import QtCore, QtGui

from planflow_qt.editor.style import theme
from planflow_qt.report.diagram import LEAD, backward_route

PICK_WIDTH = 8.0
"""Width of the band around a wire that a click hits."""


class FlowPipeItem(PipeItem):
    """A wire in the colour of its port type; a backward wire runs in the gap between its two nodes."""

    def set_connections(self, port1, port2) -> None:
        super().set_connections(port1, port2)
        flow_type = getattr(self.output_port, "flow_type", None) if self.output_port else None
        if flow_type is not None:
            self.color = (*theme().wires[flow_type], 255)
            self.set_pipe_styling(self.color, 2, self.style)

    def restyle(self) -> None:
        """Take the colour of the current theme (before and after an export)."""
        flow_type = getattr(self.output_port, "flow_type", None) if self.output_port else None
        if flow_type is not None:
            self.color = (*theme().wires[flow_type], 255)
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
        out_rect, in_rect = (self.output_port.node.sceneBoundingRect(), self.input_port.node.sceneBoundingRect())
        points = [QtCore.QPointF(x, y) for x, y in backward_route(
            (out_pos.x(), out_pos.y()), (in_pos.x(), in_pos.y()), out_rect.getCoords(), in_rect.getCoords())]
        for point in (reversed(points[:-1]) if from_input else points[1:]):
            path.lineTo(point)
        if from_input:
            path.lineTo(out_pos)
        self.setPath(path)
