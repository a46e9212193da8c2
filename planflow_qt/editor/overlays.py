"""Items drawn behind the nodes: loop-zone frames that follow their nodes, and notes (backdrops)."""

from __future__ import annotations

from collections.abc import Callable

from Qt import QtCore, QtGui, QtWidgets

from planflow_qt.editor.style import LOOP_ZONE, theme
from planflow_qt.model.document import Note

ZONE_Z = -5.0
NOTE_Z = -10.0
TITLE_HEIGHT = 28.0
GRIP = 16.0


READABLE_PX = 14.0
"""Height on screen a frame or note title keeps when the view is zoomed out, room permitting."""


def readable_px(painter: QtGui.QPainter, font: QtGui.QFont, room: float) -> float:
    """A title's pixel size in scene units: its normal size, or larger when zoomed out (within `room`)."""
    normal = float(QtGui.QFontInfo(font).pixelSize())
    scale = max(painter.worldTransform().m11(), 1e-3)
    return max(normal, min(READABLE_PX / scale, room * 0.8))


class LoopZoneItem(QtWidgets.QGraphicsItem):
    """A translucent frame around a loop's nodes (begin, body, end), titled with the loop's name."""

    PADDING = 18.0

    def __init__(self, title: str, members: list[QtWidgets.QGraphicsItem]):
        super().__init__()
        self.title = title
        self.members = members
        self._rect = QtCore.QRectF()
        self.setZValue(ZONE_Z)
        self.setAcceptedMouseButtons(QtCore.Qt.NoButton)
        self.fit()

    def fit(self) -> None:
        """Recompute the frame from the members' current positions."""
        rect = QtCore.QRectF()
        for item in self.members:
            if item.scene() is not None:
                rect = rect.united(item.sceneBoundingRect())
        if not rect.isNull():
            rect = rect.adjusted(-self.PADDING, -self.PADDING, self.PADDING, self.PADDING + 22)
        if rect != self._rect:
            self.prepareGeometryChange()
            self._rect = rect

    def boundingRect(self) -> QtCore.QRectF:
        return self._rect.adjusted(-2, -2, 2, 2)

    def paint(self, painter: QtGui.QPainter, option, widget=None) -> None:
        if self._rect.isNull():
            return
        painter.save()
        painter.setRenderHint(QtGui.QPainter.Antialiasing, True)
        color = QtGui.QColor(*LOOP_ZONE)
        fill = QtGui.QColor(color)
        fill.setAlpha(38)
        pen = QtGui.QPen(color.lighter(130), 1.6, QtCore.Qt.DashLine)
        painter.setPen(pen)
        painter.setBrush(fill)
        painter.drawRoundedRect(self._rect, 10, 10)
        font = painter.font()
        font.setBold(True)
        font.setPointSizeF(10)
        font.setPixelSize(int(readable_px(painter, font, self.PADDING + 20)))
        painter.setFont(font)
        painter.setPen(color.lighter(170))
        painter.drawText(self._rect.adjusted(12, 0, -12, -4), QtCore.Qt.AlignLeft | QtCore.Qt.AlignBottom,
                         f"⟳  loop: {self.title}")
        painter.restore()


NodeMoves = dict[str, tuple[tuple[float, float], tuple[float, float]]]


class NoteItem(QtWidgets.QGraphicsItem):
    """A note (backdrop): a titled frame with text, moved by its title bar with the nodes inside it,
    resized by its corner, edited on double click.

    Only the title bar and the resize grip take the mouse, so rubber-band selection works over the body.
    `on_edit(item, note, moves)` is called with the edited note and the nodes it carried (id -> (old, new)
    position); the document decides and calls `set_note`. `inside(rect)` gives the node items in a rect.
    """

    def __init__(self, note: Note, on_edit: Callable[[NoteItem, Note, NodeMoves], None],
                 inside: Callable[[QtCore.QRectF], list] = lambda rect: []):
        super().__init__()
        self.on_edit = on_edit
        self.inside = inside
        self.note = note
        self._size = QtCore.QSizeF()
        self._resizing = False
        self._dragging = False
        self._press_rect: tuple[float, ...] | None = None
        self._carried: list[tuple[QtWidgets.QGraphicsItem, QtCore.QPointF]] = []
        self.setZValue(NOTE_Z)
        self.setFlags(QtWidgets.QGraphicsItem.ItemIsMovable | QtWidgets.QGraphicsItem.ItemIsSelectable
                      | QtWidgets.QGraphicsItem.ItemSendsGeometryChanges)
        self.setCursor(QtCore.Qt.OpenHandCursor)
        self.set_note(note)

    def set_note(self, note: Note) -> None:
        """Show this note (title, text, rectangle)."""
        self.note = note
        x, y, w, h = note.rect
        self.prepareGeometryChange()
        self._size = QtCore.QSizeF(max(w, 80.0), max(h, TITLE_HEIGHT + 10))
        self.setPos(x, y)
        self.setToolTip(note.text)
        self.update()

    def current_rect(self) -> tuple[float, float, float, float]:
        return (float(self.pos().x()), float(self.pos().y()), float(self._size.width()), float(self._size.height()))

    def boundingRect(self) -> QtCore.QRectF:
        return QtCore.QRectF(QtCore.QPointF(0, 0), self._size).adjusted(-1, -1, 1, 1)

    def _grip(self) -> QtCore.QRectF:
        return QtCore.QRectF(self._size.width() - GRIP, self._size.height() - GRIP, GRIP, GRIP)

    def shape(self) -> QtGui.QPainterPath:
        path = QtGui.QPainterPath()
        path.addRect(QtCore.QRectF(0, 0, self._size.width(), TITLE_HEIGHT))
        path.addRect(self._grip())
        return path

    def _text_height(self, width: float) -> float:
        """Height of the note's text under its title (what a zoomed-out title may cover)."""
        if not self.note.text:
            return 0.0
        font = QtGui.QFont()
        font.setPointSizeF(9)
        box = QtCore.QRectF(0, 0, min(width - 20, 520), 10000)
        return QtGui.QFontMetricsF(font).boundingRect(box, int(QtCore.Qt.TextWordWrap), self.note.text).height() + 4

    def paint(self, painter: QtGui.QPainter, option, widget=None) -> None:
        painter.save()
        painter.setRenderHint(QtGui.QPainter.Antialiasing, True)
        rect = QtCore.QRectF(QtCore.QPointF(0, 0), self._size)
        base = QtGui.QColor(*theme().note)
        fill = QtGui.QColor(base)
        fill.setAlpha(45)
        border = QtGui.QColor(254, 207, 42) if self.isSelected() else base.lighter(120)
        painter.setPen(QtGui.QPen(border, 1.2))
        painter.setBrush(fill)
        painter.drawRoundedRect(rect, 8, 8)
        header = QtGui.QColor(base)
        header.setAlpha(150)
        painter.save()
        painter.setClipRect(QtCore.QRectF(0, 0, rect.width(), TITLE_HEIGHT))
        painter.setBrush(header)
        painter.setPen(QtCore.Qt.NoPen)
        painter.drawRoundedRect(rect, 8, 8)
        painter.restore()
        font = painter.font()
        font.setBold(True)
        font.setPointSizeF(10.5)
        head = TITLE_HEIGHT + self._text_height(rect.width())
        title_px = readable_px(painter, font, head)
        zoomed_out = title_px > QtGui.QFontInfo(font).pixelSize() * 1.5
        font.setPixelSize(int(title_px))
        painter.setFont(font)
        painter.setPen(QtGui.QColor(240, 242, 245))
        painter.drawText(QtCore.QRectF(10, 0, rect.width() - 20, head if zoomed_out else TITLE_HEIGHT),
                         QtCore.Qt.AlignVCenter | QtCore.Qt.AlignLeft, self.note.title or "Note")
        if self.note.text and not zoomed_out:
            font.setBold(False)
            font.setPointSizeF(9)
            painter.setFont(font)
            painter.setPen(QtGui.QColor(*theme().note_text))
            painter.drawText(QtCore.QRectF(10, TITLE_HEIGHT + 4, min(rect.width() - 20, 520), rect.height() - 40),
                             QtCore.Qt.TextWordWrap | QtCore.Qt.AlignTop | QtCore.Qt.AlignLeft, self.note.text)
        painter.setPen(QtGui.QPen(base.lighter(150), 1.2))
        grip = self._grip()
        for offset in (4, 8, 12):
            painter.drawLine(QtCore.QPointF(grip.right() - offset, grip.bottom() - 2),
                             QtCore.QPointF(grip.right() - 2, grip.bottom() - offset))
        painter.restore()

    def itemChange(self, change, value):
        if change == QtWidgets.QGraphicsItem.ItemPositionChange and self.scene() is not None \
                and self._press_rect is None and self.isSelected() and self.scene().mouseGrabberItem() is not None:
            return self.pos()  # a note moves only when its own title bar is dragged
        if change == QtWidgets.QGraphicsItem.ItemPositionHasChanged and self._dragging:
            x, y, _w, _h = self._press_rect
            delta = self.pos() - QtCore.QPointF(x, y)
            for item, start in self._carried:
                item.setPos(start + delta)
        return super().itemChange(change, value)

    def mousePressEvent(self, event) -> None:
        self._press_rect = self.current_rect()
        self._resizing = self._grip().contains(event.pos())
        if self._resizing:
            event.accept()
            return
        if self.scene() is not None:
            self.scene().clearSelection()
            self._carried = [(item, item.pos()) for item in self.inside(self.sceneBoundingRect())]
        self._dragging = True
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:
        if self._resizing:
            self.prepareGeometryChange()
            self._size = QtCore.QSizeF(max(event.pos().x(), 120.0), max(event.pos().y(), TITLE_HEIGHT + 20))
            self.update()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event) -> None:
        super().mouseReleaseEvent(event)
        self._resizing = self._dragging = False
        rect = self.current_rect()
        moves = {item.flow_id: ((start.x(), start.y()), (item.pos().x(), item.pos().y()))
                 for item, start in self._carried if item.pos() != start}
        self._carried = []
        pressed, self._press_rect = self._press_rect, None
        if pressed is not None and rect != pressed:
            self.on_edit(self, self.note.model_copy(update={"rect": rect}), moves)

    def mouseDoubleClickEvent(self, event) -> None:
        edited = edit_note_dialog(self.note, self.scene().views()[0] if self.scene().views() else None)
        if edited is not None:
            self.on_edit(self, edited, {})


def edit_note_dialog(note: Note, parent: QtWidgets.QWidget | None) -> Note | None:
    """Ask for a note's title and text; None when cancelled."""
    dialog = QtWidgets.QDialog(parent)
    dialog.setWindowTitle("Note")
    layout = QtWidgets.QFormLayout(dialog)
    title = QtWidgets.QLineEdit(note.title)
    text = QtWidgets.QPlainTextEdit(note.text)
    layout.addRow("Title", title)
    layout.addRow("Text", text)
    buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.Ok | QtWidgets.QDialogButtonBox.Cancel)
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    layout.addRow(buttons)
    if dialog.exec() != QtWidgets.QDialog.Accepted:
        return None
    return note.model_copy(update={"title": title.text()[:200], "text": text.toPlainText()[:20000]})
