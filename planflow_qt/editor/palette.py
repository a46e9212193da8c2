"""The node palette: node types by category with a search box; drag one to the canvas or double-click it."""

from __future__ import annotations

from Qt import QtCore, QtGui, QtWidgets

from planflow_qt.catalog.colors import CATEGORY_COLORS
from planflow_qt.catalog.registry import Registry
from planflow_qt.catalog.spec import Category
from planflow_qt.editor.canvas import NODE_MIME

TYPE_ROLE = QtCore.Qt.UserRole + 1


class PaletteTree(QtWidgets.QTreeWidget):
    """The tree of node types; dragging an entry carries `planflow-node:<type id>` as text."""

    def startDrag(self, actions) -> None:
        item = self.currentItem()
        type_id = item.data(0, TYPE_ROLE) if item else None
        if not type_id:
            return
        mime = QtCore.QMimeData()
        mime.setText(NODE_MIME + type_id)
        drag = QtGui.QDrag(self)
        drag.setMimeData(mime)
        drag.exec(QtCore.Qt.CopyAction)


class Palette(QtWidgets.QWidget):
    """Categories of node types, filtered by the search box (title, id or description)."""

    activated = QtCore.Signal(str)  # type id to add at the centre of the view

    def __init__(self, registry: Registry, parent=None):
        super().__init__(parent)
        self.registry = registry
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        self.search = QtWidgets.QLineEdit()
        self.search.setPlaceholderText("Search nodes…")
        self.search.setClearButtonEnabled(True)
        self.tree = PaletteTree()
        self.tree.setHeaderHidden(True)
        self.tree.setDragEnabled(True)
        self.tree.setDragDropMode(QtWidgets.QAbstractItemView.DragOnly)
        self.tree.setIndentation(12)
        layout.addWidget(self.search)
        layout.addWidget(self.tree)
        self._fill()
        self.search.textChanged.connect(self.filter)
        self.search.returnPressed.connect(self._add_first_visible)
        self.tree.itemActivated.connect(self._activated)

    def _fill(self) -> None:
        groups: dict[Category, QtWidgets.QTreeWidgetItem] = {}
        for category in Category:
            group = QtWidgets.QTreeWidgetItem([category.value])
            font = group.font(0)
            font.setBold(True)
            group.setFont(0, font)
            group.setForeground(0, QtGui.QColor(*CATEGORY_COLORS[category]).lighter(150))
            group.setFlags(QtCore.Qt.ItemIsEnabled)
            groups[category] = group
        for node_type in sorted(self.registry, key=lambda t: t.spec.title):
            spec = node_type.spec
            item = QtWidgets.QTreeWidgetItem([spec.title])
            item.setData(0, TYPE_ROLE, spec.type_id)
            item.setToolTip(0, f"<b>{spec.title}</b> ({spec.type_id})<br>{node_type.doc().split(chr(10) * 2)[0]}")
            pixmap = QtGui.QPixmap(10, 10)
            pixmap.fill(QtGui.QColor(*CATEGORY_COLORS[spec.category]))
            item.setIcon(0, QtGui.QIcon(pixmap))
            item.setData(0, QtCore.Qt.UserRole, f"{spec.title} {spec.type_id} {node_type.doc()}".lower())
            groups[spec.category].addChild(item)
        for group in groups.values():
            if group.childCount():
                self.tree.addTopLevelItem(group)
                group.setExpanded(True)

    def filter(self, text: str) -> None:
        """Show the node types whose title, id or description contains every word typed."""
        words = text.lower().split()
        for i in range(self.tree.topLevelItemCount()):
            group = self.tree.topLevelItem(i)
            shown = 0
            for j in range(group.childCount()):
                item = group.child(j)
                hay = item.data(0, QtCore.Qt.UserRole)
                visible = all(word in hay for word in words)
                item.setHidden(not visible)
                shown += visible
            group.setHidden(shown == 0)

    def visible_types(self) -> list[str]:
        """Type ids currently shown, in order."""
        out = []
        for i in range(self.tree.topLevelItemCount()):
            group = self.tree.topLevelItem(i)
            out += [group.child(j).data(0, TYPE_ROLE) for j in range(group.childCount())
                    if not group.child(j).isHidden() and not group.isHidden()]
        return out

    def _activated(self, item: QtWidgets.QTreeWidgetItem, _column: int) -> None:
        type_id = item.data(0, TYPE_ROLE)
        if type_id:
            self.activated.emit(type_id)

    def best_match(self) -> str | None:
        """The type Enter adds: the first shown whose title contains the search text, else the first shown."""
        visible = self.visible_types()
        text = self.search.text().strip().lower()
        titled = [t for t in visible if text in self.registry.get(t).spec.title.lower()]
        return (titled or visible or [None])[0]

    def _add_first_visible(self) -> None:
        best = self.best_match()
        if best:
            self.activated.emit(best)
