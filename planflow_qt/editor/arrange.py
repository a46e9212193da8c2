"""Alignment of nodes: returns positions, the document applies them (auto-layout is in `layering`)."""

from __future__ import annotations


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
