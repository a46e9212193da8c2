"""Export of the diagram as PNG or SVG for review documents: the whole flow, nodes and notes, every text shown,
on white paper (the print theme), without the last run's states or problem badges, in a sans-serif font."""

from __future__ import annotations

import re
from pathlib import Path

from Qt import QtCore, QtGui, QtSvg

from planflow_qt.editor.canvas import FlowCanvas
from planflow_qt.editor.node_item import FlowNodeItem
from planflow_qt.editor.style import PRINT, painting_with

MARGIN = 40.0
MAX_PIXELS = 8000
SANS_FAMILIES = "'DejaVu Sans', 'Segoe UI', Arial, Helvetica, sans-serif"
"""Fonts an SVG names: one of them is present on Debian, Windows and macOS, and the last is the generic sans."""


def _source(canvas: FlowCanvas) -> QtCore.QRectF:
    rect = canvas.node_rect()
    for zone in canvas.zone_items():
        rect = rect.united(zone.sceneBoundingRect())
    if rect.isNull():
        rect = QtCore.QRectF(0, 0, 400, 300)
    return rect.adjusted(-MARGIN, -MARGIN, MARGIN, MARGIN)


def _render(canvas: FlowCanvas, painter: QtGui.QPainter, target: QtCore.QRectF, source: QtCore.QRectF) -> None:
    """Paint the scene in the print theme with every text shown, whatever the zoom of the view."""
    FlowNodeItem.full_detail = True
    try:
        with painting_with(PRINT):
            canvas.render_to(painter, target, source)
    finally:
        FlowNodeItem.full_detail = False


def export_png(canvas: FlowCanvas, path: str | Path, scale: float = 2.0) -> Path:
    """Render the diagram to a PNG file (at `scale` pixels per scene unit, at most 8000 px wide)."""
    source = _source(canvas)
    scale = min(scale, MAX_PIXELS / max(source.width(), source.height()))
    size = QtCore.QSize(int(source.width() * scale), int(source.height() * scale))
    image = QtGui.QImage(size, QtGui.QImage.Format_ARGB32)
    image.fill(QtGui.QColor(*PRINT.background))
    painter = QtGui.QPainter(image)
    painter.setRenderHint(QtGui.QPainter.Antialiasing, True)
    painter.setRenderHint(QtGui.QPainter.TextAntialiasing, True)
    _render(canvas, painter, QtCore.QRectF(0, 0, size.width(), size.height()), source)
    painter.end()
    path = Path(path)
    if not image.save(str(path), "PNG"):
        raise OSError(f"cannot write {path}")
    return path


def export_svg(canvas: FlowCanvas, path: str | Path, title: str = "PlanFlow diagram") -> Path:
    """Render the diagram to an SVG file (vector: prints sharply in a review document)."""
    source = _source(canvas)
    path = Path(path)
    generator = QtSvg.QSvgGenerator()
    generator.setFileName(str(path))
    generator.setSize(QtCore.QSize(int(source.width()), int(source.height())))
    generator.setViewBox(QtCore.QRectF(0, 0, source.width(), source.height()))
    generator.setTitle(title)
    painter = QtGui.QPainter(generator)
    painter.fillRect(QtCore.QRectF(0, 0, source.width(), source.height()), QtGui.QColor(*PRINT.background))
    _render(canvas, painter, QtCore.QRectF(0, 0, source.width(), source.height()), source)
    painter.end()
    if not path.exists():
        raise OSError(f"cannot write {path}")
    text = path.read_text(encoding="utf-8")
    path.write_text(re.sub(r'font-family="[^"]*"', f'font-family="{SANS_FAMILIES}"', text), encoding="utf-8")
    return path
