"""Auto-layout (columns by wire depth) and alignment of nodes; both return positions, the document applies them."""

from __future__ import annotations

from planflow_qt.engine.graph import FlowGraph
from planflow_qt.model.document import Flow

COLUMN_GAP = 80.0
ROW_GAP = 30.0


def auto_layout(flow: Flow, sizes: dict[str, tuple[float, float]], node_ids: list[str] | None = None,
                origin: tuple[float, float] = (0.0, 0.0)) -> dict[str, tuple[float, float]]:
    """Columns by longest wire path from the sources, rows in document order (`sizes`: id -> (w, h))."""
    graph = FlowGraph(flow)
    members = set(node_ids) if node_ids else set(graph.index)
    order = graph.topological_order(members) or sorted(members, key=graph.index.get)
    depth: dict[str, int] = {}
    for node in order:
        depth[node] = max((depth[p] + 1 for p in graph.pred[node] if p in depth), default=0)
    columns: dict[int, list[str]] = {}
    for node in sorted(order, key=graph.index.get):
        columns.setdefault(depth[node], []).append(node)
    positions: dict[str, tuple[float, float]] = {}
    x = origin[0]
    for column in sorted(columns):
        y = origin[1]
        width = max(sizes.get(n, (200.0, 80.0))[0] for n in columns[column])
        for node in columns[column]:
            positions[node] = (x, y)
            y += sizes.get(node, (200.0, 80.0))[1] + ROW_GAP
        x += width + COLUMN_GAP
    return positions


def align(positions: dict[str, tuple[float, float]], sizes: dict[str, tuple[float, float]],
          how: str) -> dict[str, tuple[float, float]]:
    """Align or spread nodes: `left`, `top`, `hcenter` (a column), `vcenter` (a row), `hspread`, `vspread`."""
    if len(positions) < 2:
        return dict(positions)
    xs = {n: p[0] for n, p in positions.items()}
    ys = {n: p[1] for n, p in positions.items()}
    if how == "left":
        return {n: (min(xs.values()), ys[n]) for n in positions}
    if how == "top":
        return {n: (xs[n], min(ys.values())) for n in positions}
    if how == "hcenter":
        center = sum(xs[n] + sizes[n][0] / 2 for n in positions) / len(positions)
        return {n: (center - sizes[n][0] / 2, ys[n]) for n in positions}
    if how == "vcenter":
        center = sum(ys[n] + sizes[n][1] / 2 for n in positions) / len(positions)
        return {n: (xs[n], center - sizes[n][1] / 2) for n in positions}
    axis = 0 if how == "hspread" else 1
    ordered = sorted(positions, key=lambda n: positions[n][axis])
    start = positions[ordered[0]][axis]
    end = positions[ordered[-1]][axis] + sizes[ordered[-1]][axis]
    total = sum(sizes[n][axis] for n in ordered)
    gap = max((end - start - total) / (len(ordered) - 1), 20.0)
    out, cursor = {}, start
    for n in ordered:
        out[n] = (cursor, ys[n]) if axis == 0 else (xs[n], cursor)
        cursor += sizes[n][axis] + gap
    return out
