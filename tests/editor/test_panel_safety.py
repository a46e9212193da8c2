"""The properties panel is safe to scroll and usable from an empty node: the wheel changes no unfocused field,
"Add row" fills a first row on every empty table, refusals say why, unset choices read "(choose)" and only
the fields of the chosen type are shown."""

from __future__ import annotations

import warnings

import pytest
from Qt import QtCore, QtGui, QtWidgets

from planflow_qt.editor.fields import NumberEditor, TableEditor


def wheel(widget: QtWidgets.QWidget, notches: int = 2) -> None:
    """Real wheel events on the widget under the cursor, as a mouse wheel sends them."""
    center = QtCore.QPointF(widget.rect().center())
    global_pos = QtCore.QPointF(widget.mapToGlobal(widget.rect().center()))
    delta = QtCore.QPoint(0, -120 if notches > 0 else 120)
    for _ in range(abs(notches)):
        event = QtGui.QWheelEvent(center, global_pos, QtCore.QPoint(0, 0), delta, QtCore.Qt.NoButton,
                                  QtCore.Qt.NoModifier, QtCore.Qt.NoScrollPhase, False)
        QtWidgets.QApplication.sendEvent(widget, event)


def activate(window) -> None:
    """Make the window active, as a click on it would (the offscreen platform activates no window itself)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        QtWidgets.QApplication.setActiveWindow(window)


def _add_objective(window, params=None) -> str:
    node_id = window.doc.add_node("opt.function", (0, 0), params=params)
    window.canvas.select([node_id])
    return node_id


def test_the_wheel_over_unfocused_number_fields_changes_no_parameter(window, qtbot):
    params = {"type": "MinDvh", "dose_cgy": 6000.0, "volume_percent": 95.0, "weight": 50.0}
    node_id = _add_objective(window, params)
    window.show()
    qtbot.waitExposed(window)
    activate(window)
    window.viewer.setFocus()
    before = dict(window.doc.node(node_id).params)
    editors = [e for e in window.properties._editors.values() if isinstance(e, NumberEditor)]
    assert len(editors) >= 4
    for editor in editors:
        assert not editor.spin.hasFocus()
        wheel(editor.spin, 2)
        wheel(editor.spin, -2)
        wheel(editor.spin, 3)
    combo = window.properties.editor("type").combo
    wheel(combo, 2)
    assert window.doc.node(node_id).params == before
    assert window.doc.undo_stack.count() == 1  # the node's creation only


def test_the_wheel_changes_a_field_the_user_clicked_into(window, qtbot):
    node_id = _add_objective(window, {"type": "MinDose", "dose_cgy": 6000.0, "weight": 50.0})
    window.show()
    qtbot.waitExposed(window)
    spin = window.properties.editor("dose_cgy").spin
    activate(window)
    qtbot.mouseClick(spin.lineEdit(), QtCore.Qt.LeftButton, pos=QtCore.QPoint(10, spin.height() // 2))
    assert spin.hasFocus()
    wheel(spin, 1)
    assert window.doc.node(node_id).params["dose_cgy"] != 6000.0


TABLES = [("plan.vmat_arcs", "arcs"), ("plan.vmat_arcs", "avoid_sectors"), ("opt.function_table", "functions"),
          ("plan.clinical_goals", "goals"), ("plan.clinical_goals", "roi_map"), ("flow.record", "metrics"),
          ("plan.impt_beams", "beams")]


@pytest.mark.parametrize(("type_id", "field"), TABLES)
def test_add_row_on_an_empty_table_adds_a_valid_first_row(window, qtbot, type_id, field):
    node_id = window.doc.add_node(type_id, (0, 0))
    window.canvas.select([node_id])
    window.show()
    qtbot.waitExposed(window)
    editor = window.properties.editor(field)
    assert isinstance(editor, TableEditor)
    assert editor.table.rowCount() == 0
    qtbot.mouseClick(editor.add_button, QtCore.Qt.LeftButton)
    assert not window.properties._errors[field].isVisible(), window.properties._errors[field].text()
    assert len(window.doc.node(node_id).params[field]) == 1
    assert window.properties.editor(field).table.rowCount() == 1
    qtbot.mouseClick(window.properties.editor(field).add_button, QtCore.Qt.LeftButton)
    assert len(window.doc.node(node_id).params[field]) == 2


def test_new_arcs_start_as_a_planner_would_type_them(window, qtbot):
    node_id = window.doc.add_node("plan.vmat_arcs", (0, 0))
    window.canvas.select([node_id])
    window.show()
    qtbot.waitExposed(window)
    for _ in range(2):
        qtbot.mouseClick(window.properties.editor("arcs").add_button, QtCore.Qt.LeftButton)
    first, second = window.doc.node(node_id).params["arcs"]
    assert (first["name"], first["energy"], first["gantry_start_deg"], first["gantry_stop_deg"],
            first["direction"]) == ("A1", "6", 181.0, 179.0, "Clockwise")
    assert second["name"] == "A2"
    assert not [p for p in window.validator.run_now().problems if p.node_id == node_id
                and p.field.startswith("params")]


def test_an_out_of_range_number_is_refused_with_the_reason(window, qtbot):
    node_id = _add_objective(window, {"type": "MinDose", "dose_cgy": 6000.0, "weight": 50.0})
    window.show()
    qtbot.waitExposed(window)
    spin = window.properties.editor("dose_cgy").spin
    spin.setFocus()
    qtbot.keyClick(spin, QtCore.Qt.Key_A, QtCore.Qt.ControlModifier)
    qtbot.keyClicks(spin, "-100")
    qtbot.keyClick(spin, QtCore.Qt.Key_Return)
    error = window.properties._errors["dose_cgy"]
    assert window.doc.node(node_id).params["dose_cgy"] == 6000.0
    assert error.isVisible() and "Dose (cGy)" in error.text() and "greater than or equal to 0" in error.text()
    assert spin.value() == 6000.0


def test_a_new_objective_asks_for_its_type_and_shows_only_the_fields_of_that_type(window, qtbot):
    node_id = _add_objective(window)
    window.show()
    qtbot.waitExposed(window)
    combo = window.properties.editor("type").combo
    assert combo.currentText() == "(choose)"
    volume = window.properties.editor("volume_percent")
    fall_off = window.properties.editor("high_dose_cgy")
    index = combo.findData("MinDvh")
    combo.setCurrentIndex(index)
    combo.activated.emit(index)
    assert window.doc.node(node_id).params["type"] == "MinDvh"
    assert volume.isVisible() and not fall_off.isVisible()
    assert combo.findText("(choose)") < 0
    index = combo.findData("DoseFallOff")
    combo.setCurrentIndex(index)
    combo.activated.emit(index)
    assert not volume.isVisible() and fall_off.isVisible()
