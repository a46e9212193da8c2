"""The flow's diagram as a self-contained SVG for the report, drawn from the node positions without Qt.

It follows the canvas in print colours: category-coloured headers with titles, summaries naming the wired
ROIs, typed ports with their names, wires in the colour of their type (backward wires run in the gap between
their nodes, as on the canvas), loop frames and notes. Text sizes are estimated from character counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from planflow_qt.catalog.colors import CATEGORY_COLORS, PRINT_PORT_COLORS, hex_color
from planflow_qt.catalog.describe import node_summary, node_title, wired_rois
from planflow_qt.catalog.registry import Registry
from planflow_qt.catalog.spec import Port
from planflow_qt.engine.graph import LoopZone
from planflow_qt.model.document import Flow, Node

HEADER = 24.0
SUMMARY = 18.0
ROW = 18.0
MIN_WIDTH = 190.0
MAX_WIDTH = 320.0
MARGIN = 40.0
LEAD = 14.0
FONT = "'DejaVu Sans', 'Segoe UI', Arial, Helvetica, sans-serif"
Point = tuple[float, float]
Rect = tuple[float, float, float, float]


@dataclass
class Box:
    """A node as drawn: its rectangle and its ports."""

    node: Node
    x: float
    y: float
    width: float
    height: float
    inputs: tuple[Port, ...]
    outputs: tuple[Port, ...]

    @property
    def rect(self) -> Rect:
        return (self.x, self.y, self.x + self.width, self.y + self.height)

    def port(self, name: str, output: bool) -> Point | None:
        ports = self.outputs if output else self.inputs
        index = next((i for i, p in enumerate(ports) if p.name == name), None)
        if index is None:
            return None
        y = self.y + HEADER + SUMMARY + index * ROW + ROW / 2
        return (self.x + self.width, y) if output else (self.x, y)


def backward_route(out_pos: Point, in_pos: Point, out_rect: Rect, in_rect: Rect) -> list[Point]:
    """Corner points from an output to an input left of it: out, right, along the gap between the two nodes
    (or below both when they overlap in height), left of the input, in. Rects are (left, top, right, bottom)."""
    if in_rect[1] >= out_rect[3]:
        y = (out_rect[3] + in_rect[1]) / 2
    elif out_rect[1] >= in_rect[3]:
        y = (in_rect[3] + out_rect[1]) / 2
    else:
        y = max(out_rect[3], in_rect[3]) + LEAD
    right = max(out_pos[0], out_rect[2]) + LEAD
    left = min(in_pos[0], in_rect[0]) - LEAD
    return [out_pos, (right, out_pos[1]), (right, y), (left, y), (left, in_pos[1]), in_pos]


def _boxes(flow: Flow, registry: Registry, summaries: dict[str, str]) -> dict[str, Box]:
    boxes = {}
    for node in flow.nodes:
        node_type = registry.get(node.type)
        inputs = node_type.spec.all_inputs() if node_type else ()
        outputs = node_type.spec.outputs if node_type else ()
        title = node_title(node, node_type)
        ports = max((len(p.name) for p in inputs), default=0) + max((len(p.name) for p in outputs), default=0)
        width = max(MIN_WIDTH, len(title) * 7.2 + 36, ports * 5.6 + 56,
                    min(len(summaries[node.id]) * 5.6 + 20, MAX_WIDTH))
        height = HEADER + SUMMARY + max(len(inputs), len(outputs), 1) * ROW + 4
        boxes[node.id] = Box(node, node.pos[0], node.pos[1], width, height, inputs, outputs)
    return boxes


def _text(x: float, y: float, text: str, size: float, color: str, weight: str = "normal",
          anchor: str = "start") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" fill="{color}" font-weight="{weight}" '
            f'text-anchor="{anchor}">{escape(text)}</text>')


def _elide(text: str, width: float, char: float) -> str:
    room = int(width / char)
    return text if len(text) <= room else text[:max(room - 1, 1)] + "…"


def _node_svg(box: Box, registry: Registry, summary: str) -> str:
    node_type = registry.get(box.node.type)
    color = hex_color(CATEGORY_COLORS[node_type.spec.category]) if node_type else "#777777"
    if box.node.disabled:
        color = "#8a8f98"
    x, y, w, h = box.x, box.y, box.width, box.height
    dash = ' stroke-dasharray="5,3"' if box.node.disabled else ""
    parts = [f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" rx="5" fill="white" '
             f'stroke="#969ca6"{dash}/>',
             f'<path d="M{x:.1f},{y + HEADER:.1f} v{-HEADER + 5:.1f} q0,-5 5,-5 h{w - 10:.1f} q5,0 5,5 '
             f'v{HEADER - 5:.1f} z" fill="{color}"/>',
             _text(x + 6, y + 16, _elide(node_title(box.node, node_type), w - 12, 7.0), 11.5, "white", "bold"),
             _text(x + 8, y + HEADER + 13, _elide(summary, w - 16, 5.4), 10, "#3c424e")]
    if box.node.disabled:
        parts.append(_text(x + w - 8, y + 16, "switched off", 10, "white", anchor="end"))
    for output, ports in ((False, box.inputs), (True, box.outputs)):
        for port in ports:
            px, py = box.port(port.name, output)
            port_color = hex_color(PRINT_PORT_COLORS[port.type])
            parts.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="4.5" fill="{port_color}"/>')
            parts.append(_text(px - 9 if output else px + 9, py + 3.5, port.name, 9.5, "#282c34",
                               anchor="end" if output else "start"))
    return "".join(parts)


def _wire_svg(boxes: dict[str, Box], src: tuple[str, str], dst: tuple[str, str]) -> str:
    source, target = boxes.get(src[0]), boxes.get(dst[0])
    start = source.port(src[1], True) if source else None
    end = target.port(dst[1], False) if target else None
    if start is None or end is None:
        return ""
    port = next(p for p in source.outputs if p.name == src[1])
    color = hex_color(PRINT_PORT_COLORS[port.type])
    if end[0] >= start[0] + 2 * LEAD:
        tangent = min(end[0] - start[0], source.width)
        path = (f"M{start[0]:.1f},{start[1]:.1f} C{start[0] + tangent:.1f},{start[1]:.1f} "
                f"{end[0] - tangent:.1f},{end[1]:.1f} {end[0]:.1f},{end[1]:.1f}")
    else:
        points = backward_route(start, end, source.rect, target.rect)
        path = "M" + " L".join(f"{px:.1f},{py:.1f}" for px, py in points)
    return f'<path d="{path}" fill="none" stroke="{color}" stroke-width="1.8"/>'


def _zone_svg(zone: LoopZone, boxes: dict[str, Box], title: str) -> str:
    members = [boxes[n].rect for n in (zone.begin, *zone.body, zone.end) if n in boxes]
    if not members:
        return ""
    left, top = min(r[0] for r in members) - 18, min(r[1] for r in members) - 18
    right, bottom = max(r[2] for r in members) + 18, max(r[3] for r in members) + 40
    return (f'<rect x="{left:.1f}" y="{top:.1f}" width="{right - left:.1f}" height="{bottom - top:.1f}" rx="10" '
            f'fill="#7c4daa" fill-opacity="0.08" stroke="#7c4daa" stroke-dasharray="6,4"/>'
            + _text(left + 12, bottom - 8, f"⟳ loop: {title}", 12, "#6a3d98", "bold"))


def flow_svg(flow: Flow, registry: Registry, loops: list[LoopZone]) -> str:
    """The diagram of a flow as an SVG element (scales to the page width)."""
    rois = wired_rois(flow, registry)
    summaries = {n.id: node_summary(n, registry.get(n.type), rois.get(n.id)) for n in flow.nodes}
    boxes = _boxes(flow, registry, summaries)
    rects = [b.rect for b in boxes.values()] + [(x, y, x + w, y + h) for x, y, w, h in (n.rect for n in flow.notes)]
    if not rects:
        return ""
    left, top = min(r[0] for r in rects) - MARGIN, min(r[1] for r in rects) - MARGIN
    width = max(r[2] for r in rects) + MARGIN - left
    height = max(r[3] for r in rects) + MARGIN - top
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="{left:.0f} {top:.0f} {width:.0f} {height:.0f}" '
             f'width="100%" font-family="{escape(FONT)}" role="img" aria-label="{escape(flow.meta.name)} diagram">',
             f'<rect x="{left:.0f}" y="{top:.0f}" width="{width:.0f}" height="{height:.0f}" fill="white"/>']
    for note in flow.notes:
        x, y, w, h = note.rect
        parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" rx="8" fill="#6e7888" '
                     f'fill-opacity="0.12" stroke="#6e7888"/><rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" '
                     f'height="28" rx="8" fill="#6e7888" fill-opacity="0.6"/>'
                     + _text(x + 10, y + 19, note.title or "Note", 13, "white", "bold"))
    titles = {n.id: n.title for n in flow.nodes}
    parts += [_zone_svg(zone, boxes, titles.get(zone.begin) or "Rounds") for zone in loops]
    parts += [_wire_svg(boxes, tuple(e.src), tuple(e.dst)) for e in flow.edges]
    parts += [_node_svg(box, registry, summaries[node_id]) for node_id, box in boxes.items()]
    parts.append("</svg>")
    return "".join(parts)
