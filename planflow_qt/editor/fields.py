"""Editors for one parameter each, built from a FieldInfo: spin boxes with units, combos, checks, text, tables.

Every editor has `value()`, `set_value(value)` (without emitting) and a signal `edited(object)` sent when
the user commits a change (Enter, focus out, a step, a pick). Values are JSON-like (what a flow stores).
Spin boxes and combos take the keyboard focus only when clicked or tabbed to, and the mouse wheel changes
them only while they have it: scrolling the panel over a field never changes a clinical value.
"""

from __future__ import annotations

import json
import math
from typing import Any

from Qt import QtCore, QtGui, QtWidgets

from planflow_qt.catalog.fields import CHOOSE_TEXT, FieldInfo

NONE_TEXT = "(none)"


def number_text(value: float) -> str:
    """A number as a planner writes it: 6000, 0.98, 4e-04."""
    return f"{value:.6g}"


def _bounds(info: FieldInfo) -> tuple[float, float]:
    low = -1e9 if info.minimum is None else float(info.minimum)
    high = 1e9 if info.maximum is None else float(info.maximum)
    if info.kind == "integer":
        low, high = (low + 1 if info.exclusive_min else low), (high - 1 if info.exclusive_max else high)
    return low, high


def focus_only_wheel(widget: QtWidgets.QWidget) -> None:
    """Make a value widget take the focus by click or Tab only (not by the wheel passing over it)."""
    widget.setFocusPolicy(QtCore.Qt.StrongFocus)


class WheelWhenFocused:
    """Mixin of value widgets: a wheel turn over an unfocused widget scrolls the panel instead."""

    def wheelEvent(self, event: QtGui.QWheelEvent) -> None:
        if self.hasFocus():
            super().wheelEvent(event)
        else:
            event.ignore()


class BoundedSteps:
    """Mixin of spin boxes whose range is open (so a typed value out of range reaches validation, which says
    why it is refused) while arrow keys and the wheel step only within the declared bounds."""

    bounds: tuple[float, float] = (-1e9, 1e9)

    def stepBy(self, steps: int) -> None:
        before = self.value()
        super().stepBy(steps)
        low, high = self.bounds
        if not low <= self.value() <= high:
            self.setValue(min(max(self.value(), low), high) if low <= before <= high else before)


class IntegerSpin(WheelWhenFocused, BoundedSteps, QtWidgets.QSpinBox):
    """An integer spin box that is safe under the wheel."""

    def __init__(self, parent=None):
        super().__init__(parent)
        focus_only_wheel(self)


class NumberSpin(WheelWhenFocused, BoundedSteps, QtWidgets.QDoubleSpinBox):
    """A double spin box that shows numbers compactly (6000, 0.98, 1e-05) and keeps their full precision."""

    def __init__(self, parent=None):
        super().__init__(parent)
        focus_only_wheel(self)
        self.setDecimals(12)
        self.setStepType(QtWidgets.QAbstractSpinBox.AdaptiveDecimalStepType)

    def textFromValue(self, value: float) -> str:
        return number_text(value)

    def valueFromText(self, text: str) -> float:
        text = text.removesuffix(self.suffix()).strip()
        try:
            return float(text)
        except ValueError:
            return self.value()

    def validate(self, text: str, pos: int):
        body = text.removesuffix(self.suffix()).strip()
        try:
            value = float(body)
        except ValueError:
            partial = body in ("", "-", "+", ".", "-.") or body.lower().endswith(("e", "e-", "e+"))
            state = QtGui.QValidator.Intermediate if partial else QtGui.QValidator.Invalid
            return state, text, pos
        inside = self.minimum() <= value <= self.maximum() and math.isfinite(value)
        return (QtGui.QValidator.Acceptable if inside else QtGui.QValidator.Intermediate), text, pos


class FieldEditor(QtWidgets.QWidget):
    """Base of the editors: a field, a value, an `edited` signal."""

    edited = QtCore.Signal(object)

    def __init__(self, info: FieldInfo, parent=None):
        super().__init__(parent)
        self.info = info
        self.setToolTip(info.description)
        layout = QtWidgets.QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)

    def value(self) -> Any:
        raise NotImplementedError

    def set_value(self, value: Any) -> None:
        raise NotImplementedError

    def _emit(self, *_args) -> None:
        self.edited.emit(self.value())


class NumberEditor(FieldEditor):
    """A number with its unit and range; a nullable number has a check box that switches it on."""

    def __init__(self, info: FieldInfo, parent=None):
        super().__init__(info, parent)
        integer = info.kind == "integer"
        self.spin = IntegerSpin() if integer else NumberSpin()
        self.spin.bounds = _bounds(info)
        if integer:
            self.spin.setRange(-2**31 + 1, 2**31 - 1)
        else:
            self.spin.setRange(-1e9, 1e9)
        if info.unit:
            self.spin.setSuffix(f" {info.unit}")
        self.spin.setKeyboardTracking(False)
        self.spin.setAccelerated(True)
        self.spin.setToolTip(self._range_text())
        self.spin.valueChanged.connect(self._emit)
        self.enabled_box: QtWidgets.QCheckBox | None = None
        if info.nullable:
            self.enabled_box = QtWidgets.QCheckBox()
            self.enabled_box.setToolTip("set a value (unchecked: none)")
            self.enabled_box.toggled.connect(self._toggled)
            self.layout().addWidget(self.enabled_box)
        self.layout().addWidget(self.spin, 1)

    def _range_text(self) -> str:
        info = self.info
        parts = []
        if info.minimum is not None:
            parts.append(f"{'>' if info.exclusive_min else '≥'} {number_text(info.minimum)}")
        if info.maximum is not None:
            parts.append(f"{'<' if info.exclusive_max else '≤'} {number_text(info.maximum)}")
        return info.description + (f"\nrange: {', '.join(parts)}" if parts else "")

    def _toggled(self, on: bool) -> None:
        self.spin.setEnabled(on)
        self._emit()

    def value(self) -> Any:
        if self.enabled_box is not None and not self.enabled_box.isChecked():
            return None
        value = self.spin.value()
        return int(value) if self.info.kind == "integer" else float(value)

    def set_value(self, value: Any) -> None:
        blockers = [QtCore.QSignalBlocker(self.spin)]
        if self.enabled_box is not None:
            blockers.append(QtCore.QSignalBlocker(self.enabled_box))
            self.enabled_box.setChecked(value is not None)
            self.spin.setEnabled(value is not None)
        if value is not None:
            self.spin.setValue(value)
        del blockers


class ChoiceCombo(WheelWhenFocused, QtWidgets.QComboBox):
    """A combo box that is safe under the wheel."""

    def __init__(self, parent=None):
        super().__init__(parent)
        focus_only_wheel(self)


class ChoiceEditor(FieldEditor):
    """A combo of the allowed values, by their labels; '(none)' when nullable, '(choose)' while unset."""

    def __init__(self, info: FieldInfo, parent=None):
        super().__init__(info, parent)
        self.combo = ChoiceCombo()
        if info.nullable:
            self.combo.addItem(NONE_TEXT, None)
        for choice in info.choices:
            self.combo.addItem(info.choice_label(choice), choice)
        self.combo.activated.connect(self._emit)
        self.layout().addWidget(self.combo, 1)

    def value(self) -> Any:
        return self.combo.currentData()

    def set_value(self, value: Any) -> None:
        with QtCore.QSignalBlocker(self.combo):
            unset = self.combo.findText(CHOOSE_TEXT)
            if value is None and not self.info.nullable:
                if unset < 0:
                    self.combo.insertItem(0, CHOOSE_TEXT, None)
                self.combo.setCurrentIndex(0)
                return
            if unset >= 0:
                self.combo.removeItem(unset)
            index = self.combo.findData(value)
            if index < 0 and value is not None:  # a value the flow holds but the type no longer offers
                self.combo.addItem(f"{value} (invalid)", value)
                index = self.combo.count() - 1
            self.combo.setCurrentIndex(max(index, 0))


class BoolEditor(FieldEditor):
    def __init__(self, info: FieldInfo, parent=None):
        super().__init__(info, parent)
        self.box = QtWidgets.QCheckBox()
        self.box.toggled.connect(self._emit)
        self.layout().addWidget(self.box, 1)

    def value(self) -> Any:
        return self.box.isChecked()

    def set_value(self, value: Any) -> None:
        with QtCore.QSignalBlocker(self.box):
            self.box.setChecked(bool(value))


class TextEditor(FieldEditor):
    """One line of text; `text_list` fields are comma-separated (aliases, tags, ROI lists)."""

    def __init__(self, info: FieldInfo, parent=None):
        super().__init__(info, parent)
        self.line = QtWidgets.QLineEdit()
        if info.kind == "text_list":
            self.line.setPlaceholderText("comma-separated")
        elif info.kind == "json":
            self.line.setPlaceholderText("JSON")
        if info.max_length:
            self.line.setMaxLength(info.max_length)
        self.line.editingFinished.connect(self._commit)
        self.layout().addWidget(self.line, 1)
        self._shown = ""

    def offer(self, names: list[str]) -> None:
        """Complete from these names (the open case's ROIs, templates, machines); a list completes its last item."""
        completer = QtWidgets.QCompleter(names, self.line)
        completer.setCaseSensitivity(QtCore.Qt.CaseInsensitive)
        completer.setFilterMode(QtCore.Qt.MatchContains)
        if self.info.kind == "text_list":
            completer.setWidget(self.line)
            self.line.textEdited.connect(lambda text: self._complete_last(completer, text))
            completer.activated.connect(self._insert_last)
        else:
            self.line.setCompleter(completer)
        self.line.setToolTip(f"{self.info.description}\nIn the case: {', '.join(names[:40])}")

    def _complete_last(self, completer: QtWidgets.QCompleter, text: str) -> None:
        completer.setCompletionPrefix(text.rsplit(",", 1)[-1].strip())
        if completer.completionPrefix():
            completer.complete()

    def _insert_last(self, name: str) -> None:
        head = self.line.text().rsplit(",", 1)[0] if "," in self.line.text() else ""
        self.line.setText(f"{head}, {name}" if head else name)
        self._commit()

    def _commit(self) -> None:
        if self.line.text() != self._shown:
            self._shown = self.line.text()
            self._emit()

    def value(self) -> Any:
        text = self.line.text()
        if self.info.kind == "text_list":
            return [part.strip() for part in text.split(",") if part.strip()]
        if self.info.kind == "json":
            try:
                return json.loads(text) if text.strip() else None
            except json.JSONDecodeError:
                return text
        return text

    def set_value(self, value: Any) -> None:
        if self.info.kind == "text_list":
            text = ", ".join(str(v) for v in value or [])
        elif self.info.kind == "json":
            text = "" if value is None else json.dumps(value)
        else:
            text = "" if value is None else str(value)
        self._shown = text
        with QtCore.QSignalBlocker(self.line):
            self.line.setText(text)


def cell_text(info: FieldInfo, value: Any) -> str:
    """A table cell's text for a value."""
    if value is None:
        return ""
    if info.kind in ("number", "integer"):
        return number_text(value)
    if info.kind == "text_list":
        return ", ".join(str(v) for v in value)
    if info.kind == "bool":
        return "yes" if value else "no"
    if info.kind == "choice":
        return info.choice_label(value)
    return str(value)


def cell_value(info: FieldInfo, text: str) -> Any:
    """A value from a table cell's text (kept as text when it does not parse: validation says why)."""
    text = text.strip()
    if info.kind in ("number", "integer"):
        if not text:
            return None
        try:
            return int(text) if info.kind == "integer" else float(text)
        except ValueError:
            return text
    if info.kind == "text_list":
        return [part.strip() for part in text.split(",") if part.strip()]
    if info.kind == "bool":
        return text.lower() in ("yes", "true", "1", "y")
    if info.kind == "choice":
        if not text and info.nullable:
            return None
        return next((c for c in info.choices if info.choice_label(c) == text), text)
    return text


def next_name(name: str, taken: set[str]) -> str:
    """The next free name in a series: A1 -> A2, B -> B2 (names already in the table are skipped)."""
    stem = name.rstrip("0123456789")
    number = int(name[len(stem):] or 1)
    while f"{stem}{number}" in taken or f"{stem}{number}" == name:
        number += 1
    return f"{stem}{number}"


class ChoiceDelegate(QtWidgets.QStyledItemDelegate):
    """Combo boxes in table cells of choice columns."""

    def __init__(self, infos: list[FieldInfo], parent=None):
        super().__init__(parent)
        self.infos = infos

    def createEditor(self, parent, option, index):
        info = self.infos[index.column()]
        if info.kind not in ("choice", "bool"):
            return super().createEditor(parent, option, index)
        combo = QtWidgets.QComboBox(parent)
        labels = [info.choice_label(c) for c in info.choices]
        items = ["yes", "no"] if info.kind == "bool" else ([""] if info.nullable else []) + labels
        combo.addItems(items)
        combo.activated.connect(lambda *_: self.commitData.emit(combo))
        return combo

    def setEditorData(self, editor, index):
        if isinstance(editor, QtWidgets.QComboBox):
            editor.setCurrentText(index.data() or "")
        else:
            super().setEditorData(editor, index)

    def setModelData(self, editor, model, index):
        if isinstance(editor, QtWidgets.QComboBox):
            model.setData(index, editor.currentText())
        else:
            super().setModelData(editor, model, index)


class TableEditor(FieldEditor):
    """A list of records (arcs, functions, goals, metrics, beams) as an editable table with add / remove."""

    def __init__(self, info: FieldInfo, parent=None):
        super().__init__(info, parent)
        self.columns = [c for c in info.children if c.kind not in ("group", "table", "mapping")]
        self._rows: list[dict[str, Any]] = []
        box = QtWidgets.QVBoxLayout()
        box.setContentsMargins(0, 0, 0, 0)
        self.table = QtWidgets.QTableWidget(0, len(self.columns))
        self.table.setHorizontalHeaderLabels([c.label for c in self.columns])
        for column, child in enumerate(self.columns):
            self.table.horizontalHeaderItem(column).setToolTip(child.description)
        self.table.setItemDelegate(ChoiceDelegate(self.columns, self.table))
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.horizontalHeader().setSectionResizeMode(QtWidgets.QHeaderView.ResizeToContents)
        self.table.setMinimumHeight(120)
        self.table.itemChanged.connect(self._cell_changed)
        buttons = QtWidgets.QHBoxLayout()
        self.add_button = QtWidgets.QPushButton("Add row")
        self.remove_button = QtWidgets.QPushButton("Remove row")
        self.add_button.clicked.connect(self._add_row)
        self.remove_button.clicked.connect(self._remove_row)
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        box.addWidget(self.table)
        box.addLayout(buttons)
        self.layout().addLayout(box)

    def _cell_changed(self, item: QtWidgets.QTableWidgetItem) -> None:
        row, column = item.row(), item.column()
        if row >= len(self._rows):
            return
        info = self.columns[column]
        self._rows[row] = {**self._rows[row], info.name: cell_value(info, item.text())}
        self._emit()

    def new_row(self) -> dict[str, Any]:
        """The row "Add row" adds: a copy of the last row with the next free name, or the first row the
        table declares, completed with the columns' defaults."""
        if self._rows:
            row = dict(self._rows[-1])
        else:
            row = {c.name: c.default for c in self.columns if c.default is not None}
            row.update(self.info.new_row)
        if isinstance(row.get("name"), str) and row["name"] and self._rows:
            row["name"] = next_name(row["name"], {str(r.get("name")) for r in self._rows})
        return row

    def _add_row(self) -> None:
        self._rows.append(self.new_row())
        self._emit()

    def _remove_row(self) -> None:
        row = self.table.currentRow()
        if 0 <= row < len(self._rows):
            del self._rows[row]
            self._emit()

    def value(self) -> Any:
        return [dict(row) for row in self._rows]

    def set_value(self, value: Any) -> None:
        self._rows = [dict(row) for row in value or [] if isinstance(row, dict)]
        with QtCore.QSignalBlocker(self.table):
            self.table.setRowCount(len(self._rows))
            for row, record in enumerate(self._rows):
                for column, info in enumerate(self.columns):
                    item = QtWidgets.QTableWidgetItem(cell_text(info, record.get(info.name)))
                    item.setToolTip(info.description)
                    self.table.setItem(row, column, item)
        rows = max(len(self._rows), 2)
        self.table.setMinimumHeight(min(60 + rows * 22, 260))


class MappingEditor(TableEditor):
    """A name -> name mapping (template ROI -> flow ROI) as a two-column table."""

    def __init__(self, info: FieldInfo, parent=None):
        key = FieldInfo(name="template_roi", kind="text", description="Name in the template")
        target = FieldInfo(name="flow_roi", kind="text", description="ROI name in this flow")
        super().__init__(FieldInfo(name=info.name, kind="table", description=info.description,
                                   children=[key, target]), parent)
        self.info = info

    def new_row(self) -> dict[str, Any]:
        """The first entry the mapping declares, or a copy of the last entry under the next free name."""
        template, flow = next(iter(self.info.new_row.items()), ("ROI", ""))
        if self._rows:
            template, flow = self._rows[-1].get("template_roi", template), self._rows[-1].get("flow_roi", flow)
        taken = {str(r.get("template_roi")) for r in self._rows}
        if template in taken:
            template = next_name(template, taken)
        return {"template_roi": template, "flow_roi": flow}

    def value(self) -> Any:
        return {row.get("template_roi", ""): row.get("flow_roi", "") for row in self._rows
                if row.get("template_roi")}

    def set_value(self, value: Any) -> None:
        rows = [{"template_roi": k, "flow_roi": v} for k, v in (value or {}).items()]
        super().set_value(rows)


def make_editor(info: FieldInfo) -> FieldEditor:
    """The editor for a field of any kind but `group` (groups are laid out by the properties panel)."""
    if info.kind in ("number", "integer"):
        return NumberEditor(info)
    if info.kind == "choice":
        return ChoiceEditor(info)
    if info.kind == "bool":
        return BoolEditor(info)
    if info.kind == "table":
        return TableEditor(info)
    if info.kind == "mapping":
        return MappingEditor(info)
    return TextEditor(info)
