"""The properties panel: a form generated from the selected node type's params model.

Each change is validated through the params model at once; a refused value is reverted and the reason
shown under the field (and in the status bar). Fields that do not apply to the chosen type (a DVH volume
on a MinDose objective) are hidden. Node-level fields: title, disabled, active rounds. With nothing
selected, the panel edits the flow's name, author, status and description.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from Qt import QtCore, QtWidgets

from planflow_qt.catalog.colors import CATEGORY_COLORS, hex_color
from planflow_qt.catalog.fields import FieldInfo, model_fields, path_label, refusal_text
from planflow_qt.editor.case_names import CaseNames
from planflow_qt.editor.document import DocumentController
from planflow_qt.editor.fields import FieldEditor, TextEditor, make_editor
from planflow_qt.engine.validation import Analysis
from planflow_qt.model.document import Node

Path = tuple[str, ...]
ERROR_STYLE = "color: #ff6b6b;"
PROBLEM_STYLE = "color: #ff6b6b; border: 1px solid #8a3a3a; padding: 4px;"
NO_PROBLEM_STYLE = "color: #9aa3ad; border: 1px solid #3a3f46; padding: 4px;"
STATUSES = ("draft", "review", "approved", "retired")


def get_path(data: Any, path: Path, default: Any = None) -> Any:
    for key in path:
        if not isinstance(data, dict) or key not in data:
            return default
        data = data[key]
    return data


def planner_text(text: str, fields: list[FieldInfo]) -> str:
    """A node type's description with its backquoted parameter names as the panel labels them."""
    names = {f.name: f.label for f in fields}
    return re.sub(r"`([^`]+)`", lambda m: names.get(m.group(1), m.group(1)), text)


def set_path(data: dict, path: Path, value: Any) -> dict:
    """A deep copy of `data` with `value` at `path` (missing levels created)."""
    result = copy.deepcopy(data)
    target = result
    for key in path[:-1]:
        if not isinstance(target.get(key), dict):
            target[key] = {}
        target = target[key]
    target[path[-1]] = value
    return result


class PropertiesPanel(QtWidgets.QScrollArea):
    """The side panel that edits the selected node (see module doc)."""

    def __init__(self, doc: DocumentController, case_names: CaseNames | None = None, parent=None):
        super().__init__(parent)
        self.doc = doc
        self.case_names = case_names
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarAlwaysOff)
        self.setMinimumWidth(340)
        self.node_id: str | None = None
        self._shown: Node | None = None
        self._editors: dict[Path, FieldEditor] = {}
        self._defaults: dict[Path, Any] = {}
        self._errors: dict[str, QtWidgets.QLabel] = {}
        self._node_fields: dict[str, QtWidgets.QWidget] = {}
        self._problem_box: QtWidgets.QLabel | None = None
        self._analysis: Analysis | None = None
        self._fields: list[FieldInfo] = []
        self._conditional: list[tuple[QtWidgets.QFormLayout, FieldInfo, Path, list[QtWidgets.QWidget]]] = []
        doc.changed.connect(self.refresh)
        doc.loaded.connect(lambda: self.show_nodes([]))
        self.show_nodes([])

    # -- what is shown -------------------------------------------------------------------------------------------
    def show_nodes(self, node_ids: list[str]) -> None:
        """Show the one selected node, a count for several, or the flow's details for none."""
        if len(node_ids) == 1 and node_ids[0] in self.doc.node_ids():
            if node_ids[0] != self.node_id:
                self._build_node(self.doc.node(node_ids[0]))
            return
        self.node_id, self._shown = None, None
        if node_ids:
            self._build_message(f"{len(node_ids)} nodes selected.\n\nCtrl+E switches them off or on; "
                                "Del deletes them; Ctrl+D duplicates them.")
        else:
            self._build_flow()

    def refresh(self) -> None:
        """Follow the document: values after an edit, undo or redo; another form if the node is gone."""
        if self.node_id is None:
            if self._shown is None and "name" in self._node_fields:
                self._fill_flow()
            return
        if self.node_id not in self.doc.node_ids():
            self.show_nodes([])
            return
        node = self.doc.node(self.node_id)
        if node.type != (self._shown.type if self._shown else None):
            self._build_node(node)
        elif node != self._shown:
            self._fill(node)

    def set_analysis(self, analysis: Analysis) -> None:
        """Show the validation problems of the shown node under its fields."""
        self._analysis = analysis
        self._show_problems()

    # -- building ------------------------------------------------------------------------------------------------
    def _reset(self) -> QtWidgets.QVBoxLayout:
        self._editors, self._defaults, self._errors, self._node_fields = {}, {}, {}, {}
        self._problem_box, self._fields, self._conditional = None, [], []
        body = QtWidgets.QWidget()
        layout = QtWidgets.QVBoxLayout(body)
        layout.setContentsMargins(10, 10, 10, 10)
        layout.setSpacing(8)
        old = self.takeWidget()
        if old is not None:
            old.deleteLater()
        self.setWidget(body)
        return layout

    def _build_message(self, text: str) -> None:
        layout = self._reset()
        label = QtWidgets.QLabel(text)
        label.setWordWrap(True)
        layout.addWidget(label)
        layout.addStretch(1)

    def _build_flow(self) -> None:
        layout = self._reset()
        heading = QtWidgets.QLabel("<b>Flow</b>")
        layout.addWidget(heading)
        hint = QtWidgets.QLabel("Select a node to edit its parameters. Drag nodes from the palette, or press "
                                "Tab on the canvas to search.")
        hint.setWordWrap(True)
        hint.setStyleSheet("color: #9aa3ad;")
        layout.addWidget(hint)
        form = QtWidgets.QFormLayout()
        name, author = QtWidgets.QLineEdit(), QtWidgets.QLineEdit()
        status = QtWidgets.QComboBox()
        status.addItems(STATUSES)
        description = QtWidgets.QPlainTextEdit()
        description.setMinimumHeight(140)
        apply = QtWidgets.QPushButton("Apply description")
        form.addRow("Name", name)
        form.addRow("Author", author)
        form.addRow("Status", status)
        form.addRow("Description", description)
        form.addRow("", apply)
        layout.addLayout(form)
        layout.addStretch(1)
        self._node_fields = {"name": name, "author": author, "status": status, "description": description}
        name.editingFinished.connect(lambda: self._meta(name=name.text()[:200] or "Untitled flow"))
        author.editingFinished.connect(lambda: self._meta(author=author.text()[:200]))
        status.activated.connect(lambda *_: self._meta(status=status.currentText()))
        apply.clicked.connect(lambda: self._meta(description=description.toPlainText()[:20000]))
        self._fill_flow()

    def _meta(self, **fields: Any) -> None:
        meta = self.doc.flow.meta
        if any(getattr(meta, key) != value for key, value in fields.items()):
            self.doc.set_meta(**fields)

    def _fill_flow(self) -> None:
        meta, widgets = self.doc.flow.meta, self._node_fields
        for key in ("name", "author"):
            with QtCore.QSignalBlocker(widgets[key]):
                widgets[key].setText(getattr(meta, key))
        with QtCore.QSignalBlocker(widgets["status"]):
            widgets["status"].setCurrentText(meta.status)
        if widgets["description"].toPlainText() != meta.description:
            widgets["description"].setPlainText(meta.description)

    def _build_node(self, node: Node) -> None:
        self.node_id = node.id
        layout = self._reset()
        node_type = self.doc.registry.get(node.type)
        if node_type is None:
            layout.addWidget(QtWidgets.QLabel(f"Unknown node type {node.type!r}: it cannot be edited here."))
            layout.addStretch(1)
            self._shown = node
            return
        spec = node_type.spec
        self._fields = model_fields(spec.params)
        color = hex_color(CATEGORY_COLORS[spec.category])
        header = QtWidgets.QLabel(f"<span style='background:{color}; color:white; padding:2px 6px;'>"
                                  f"&nbsp;{spec.category.value}&nbsp;</span>&nbsp; <b style='font-size:12pt'>"
                                  f"{spec.title}</b>")
        header.setToolTip(f"{spec.type_id} · id {node.id}")
        layout.addWidget(header)
        text = planner_text(node_type.doc(), self._fields)
        doc = QtWidgets.QLabel("\n\n".join(" ".join(part.split()) for part in text.split("\n\n")))
        doc.setWordWrap(True)
        doc.setStyleSheet("color: #b8c0ca;")
        layout.addWidget(doc)
        self._problem_box = QtWidgets.QLabel()
        self._problem_box.setWordWrap(True)
        self._problem_box.setStyleSheet(NO_PROBLEM_STYLE)
        layout.addWidget(self._problem_box)
        layout.addWidget(self._node_group())
        params = self._fields
        if params:
            group = QtWidgets.QGroupBox("Parameters")
            form = QtWidgets.QFormLayout(group)
            form.setFieldGrowthPolicy(QtWidgets.QFormLayout.AllNonFixedFieldsGrow)
            for info in params:
                self._add_field(form, info, (info.name,))
            layout.addWidget(group)
        layout.addStretch(1)
        self._fill(node)

    def _node_group(self) -> QtWidgets.QGroupBox:
        group = QtWidgets.QGroupBox("Node")
        form = QtWidgets.QFormLayout(group)
        title = QtWidgets.QLineEdit()
        title.setPlaceholderText("(the type's title)")
        title.setMaxLength(200)
        disabled = QtWidgets.QCheckBox("Switched off")
        disabled.setToolTip("A switched-off node is skipped when the flow runs (Ctrl+E)")
        rounds = QtWidgets.QLineEdit()
        rounds.setPlaceholderText("all")
        rounds.setToolTip("Rounds of the loop in which this node runs: all, 2, 2-4, >=3, 1,3,5")
        error = QtWidgets.QLabel()
        error.setStyleSheet(ERROR_STYLE)
        error.setWordWrap(True)
        error.setVisible(False)
        form.addRow("Title", title)
        form.addRow("", disabled)
        form.addRow("Active rounds", rounds)
        form.addRow("", error)
        self._errors["node"] = error
        self._node_fields = {"title": title, "disabled": disabled, "active_rounds": rounds}
        title.editingFinished.connect(lambda: self._commit_node(title=title.text()))
        disabled.toggled.connect(lambda on: self._commit_node(disabled=on))
        rounds.editingFinished.connect(lambda: self._commit_node(active_rounds=rounds.text().strip() or "all"))
        return group

    def _add_field(self, form: QtWidgets.QFormLayout, info: FieldInfo, path: Path) -> None:
        label = QtWidgets.QLabel(info.label)
        label.setToolTip(info.description)
        if info.kind == "group":
            group = QtWidgets.QGroupBox(info.label)
            group.setToolTip(info.description)
            inner = QtWidgets.QFormLayout(group)
            for child in info.children:
                self._add_field(inner, child, (*path, child.name))
            form.addRow(group)
            return
        editor = make_editor(info)
        offered = self.case_names.for_field(info.case_names) if self.case_names else []
        if offered and isinstance(editor, TextEditor):
            editor.offer(offered)
        editor.edited.connect(lambda value, p=path: self._commit(p, value))
        self._editors[path] = editor
        self._defaults[path] = info.default
        error = QtWidgets.QLabel()
        error.setStyleSheet(ERROR_STYLE)
        error.setWordWrap(True)
        error.setVisible(False)
        self._errors[".".join(path)] = error
        if info.kind in ("table", "mapping"):
            form.addRow(label)
            form.addRow(editor)
        else:
            form.addRow(label, editor)
        form.addRow(error)
        if info.applies_when:
            self._conditional.append((form, info, path, [label, editor, error]))

    def _fill(self, node: Node) -> None:
        self._shown = node
        for path, editor in self._editors.items():
            editor.set_value(get_path(node.params, path, self._defaults[path]))
        for form, info, path, widgets in self._conditional:
            applies = info.applies(get_path(node.params, path[:-1], {}) if len(path) > 1 else node.params)
            for widget in widgets:
                form.setRowVisible(widget, applies and (widget is not widgets[2] or bool(widgets[2].text())))
        fields = self._node_fields
        if "title" in fields:
            with QtCore.QSignalBlocker(fields["title"]):
                fields["title"].setText(node.title)
            with QtCore.QSignalBlocker(fields["disabled"]):
                fields["disabled"].setChecked(node.disabled)
            with QtCore.QSignalBlocker(fields["active_rounds"]):
                fields["active_rounds"].setText("" if node.active_rounds == "all" else node.active_rounds)
        self._show_problems()

    # -- commits -------------------------------------------------------------------------------------------------
    def _commit(self, path: Path, value: Any) -> None:
        node = self.doc.node(self.node_id)
        params = set_path(node.params, path, value)
        key = ".".join(path)
        reason = self.doc.set_params(node.id, params, field=key)
        self._set_error(key, refusal_text(reason, self._fields) if reason else None)
        if reason:
            self._editors[path].set_value(get_path(node.params, path, self._defaults[path]))

    def _commit_node(self, **fields: Any) -> None:
        node = self.doc.node(self.node_id)
        if all(getattr(node, key) == value for key, value in fields.items()):
            return
        reason = self.doc.set_node_fields(node.id, **fields)
        self._set_error("node", reason)
        if reason:
            self._fill(node)

    def _set_error(self, key: str, reason: str | None) -> None:
        label = self._errors.get(key) or self._errors.get(key.split(".")[0])
        if label is None:
            return
        label.setText(f"refused: {reason}" if reason else "")
        label.setVisible(bool(reason))

    def _show_problems(self) -> None:
        if self._problem_box is None or self._analysis is None or self.node_id is None:
            return
        problems = [p for p in self._analysis.problems if p.node_id == self.node_id]
        lines = [f"• {path_label(self._fields, p.field)}: {p.message}" if p.field else f"• {p.message}"
                 for p in problems]
        self._problem_box.setText("\n".join(lines) or "No problems.")
        self._problem_box.setStyleSheet(PROBLEM_STYLE if problems else NO_PROBLEM_STYLE)

    def editor(self, path: str) -> FieldEditor:
        """The editor of a parameter by dotted path (for tests and keyboard focus)."""
        return self._editors[tuple(path.split("."))]
