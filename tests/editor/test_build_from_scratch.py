"""A planner builds a small lung flow on an empty canvas with the mouse and the keyboard only: nodes from the
palette, moved into place, wired port to port, fields typed into, rows added; saves it; the file is valid
and runs on the simulated patient to completion."""

from __future__ import annotations

import warnings

import pytest
from Qt import QtCore, QtGui, QtWidgets

from planflow_qt.catalog.registry import default_registry
from planflow_qt.cli import main
from planflow_qt.engine.validation import analyze
from planflow_qt.model.files import load_flow

STEPS = 6


def _activate(window) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        QtWidgets.QApplication.setActiveWindow(window)


def _drag(qtbot, widget: QtWidgets.QWidget, start: QtCore.QPoint, end: QtCore.QPoint) -> None:
    """Press, move in steps with the button held, release: a mouse drag."""
    qtbot.mousePress(widget, QtCore.Qt.LeftButton, pos=start)
    for step in range(1, STEPS + 1):
        point = QtCore.QPointF(start + (end - start) * step / STEPS)
        move = QtGui.QMouseEvent(QtCore.QEvent.MouseMove, point, QtCore.QPointF(widget.mapToGlobal(point)),
                                 QtCore.Qt.NoButton, QtCore.Qt.LeftButton, QtCore.Qt.NoModifier)
        QtWidgets.QApplication.sendEvent(widget, move)
    qtbot.mouseRelease(widget, QtCore.Qt.LeftButton, pos=end)


class Planner:
    """The gestures of a planner on the editor window."""

    def __init__(self, window, qtbot):
        self.window, self.qtbot = window, qtbot
        self.viewport = window.viewer.viewport()

    def _on_screen(self, scene_point: QtCore.QPointF) -> QtCore.QPoint:
        return self.window.viewer.mapFromScene(scene_point)

    def add(self, title: str, at: tuple[float, float]) -> str:
        """Pick a node type in the palette (click, Enter), then drag the new node by its header to `at`."""
        tree = self.window.palette.tree
        item = next(tree.topLevelItem(i).child(j) for i in range(tree.topLevelItemCount())
                    for j in range(tree.topLevelItem(i).childCount())
                    if tree.topLevelItem(i).child(j).text(0) == title)
        tree.scrollToItem(item)
        self.qtbot.mouseClick(tree.viewport(), QtCore.Qt.LeftButton, pos=tree.visualItemRect(item).center())
        self.qtbot.keyClick(tree, QtCore.Qt.Key_Return)
        (node_id,) = self.window.canvas.selected_ids()
        rect = self.window.canvas.node_view(node_id).view.sceneBoundingRect()
        grip = QtCore.QPointF(rect.left() + 60, rect.top() + 10)
        target = QtCore.QPointF(at[0] + 60, at[1] + 10)
        _drag(self.qtbot, self.viewport, self._on_screen(grip), self._on_screen(target))
        assert self.window.doc.node(node_id).pos == pytest.approx(at, abs=3.0), f"{title} was not moved to {at}"
        return node_id

    def select(self, node_id: str) -> None:
        """Click the node's header."""
        rect = self.window.canvas.node_view(node_id).view.sceneBoundingRect()
        point = self._on_screen(QtCore.QPointF(rect.left() + 60, rect.top() + 10))
        self.qtbot.mouseClick(self.viewport, QtCore.Qt.LeftButton, pos=point)
        assert self.window.canvas.selected_ids() == [node_id]

    def wire(self, source: str, output: str, target: str, input_name: str) -> None:
        """Drag from an output port to an input port."""
        canvas = self.window.canvas
        start = canvas.node_view(source).outputs()[output].view.sceneBoundingRect().center()
        end = canvas.node_view(target).inputs()[input_name].view.sceneBoundingRect().center()
        _drag(self.qtbot, self.viewport, self._on_screen(start), self._on_screen(end))
        wires = {(tuple(e.src), tuple(e.dst)) for e in self.window.doc.flow.edges}
        assert ((source, output), (target, input_name)) in wires, f"{source}.{output} -> {target}.{input_name}"

    def type_into(self, field: str, text: str) -> None:
        """Select what the field holds, type the text, press Enter."""
        editor = self.window.properties.editor(field)
        line = editor.spin.lineEdit() if hasattr(editor, "spin") else editor.line
        self.qtbot.mouseClick(line, QtCore.Qt.LeftButton, pos=QtCore.QPoint(8, line.height() // 2))
        self.qtbot.keyClick(line, QtCore.Qt.Key_A, QtCore.Qt.ControlModifier)
        self.qtbot.keyClicks(line, text)
        self.qtbot.keyClick(line, QtCore.Qt.Key_Return)

    def choose(self, field: str, label: str) -> None:
        """Give the combo the focus (as Tab does), then step with the arrow keys to the choice."""
        combo = self.window.properties.editor(field).combo
        combo.setFocus(QtCore.Qt.TabFocusReason)
        for _ in range(combo.count() + 1):
            if self.window.properties.editor(field).combo.currentText() == label:
                return
            self.qtbot.keyClick(self.window.properties.editor(field).combo, QtCore.Qt.Key_Down)
        raise AssertionError(f"{field}: no choice {label!r}")

    def add_row(self, field: str) -> None:
        self.qtbot.mouseClick(self.window.properties.editor(field).add_button, QtCore.Qt.LeftButton)


def test_a_small_lung_flow_built_from_an_empty_canvas_validates_and_runs(make_window, qtbot, tmp_path):
    window = make_window()
    window.resize(2400, 1400)
    window.show()
    qtbot.waitExposed(window)
    _activate(window)
    window.new_flow()
    qtbot.wait(50)
    planner = Planner(window, qtbot)

    def params(node_id: str) -> dict:
        return window.doc.node(node_id).params

    ptv = planner.add("ROI", (0.0, 0.0))
    planner.type_into("name", "PTV")
    lungs = planner.add("ROI", (0.0, 160.0))
    planner.type_into("name", "Lungs")
    plan = planner.add("New plan", (260.0, 0.0))
    ring = planner.add("Ring", (260.0, 160.0))
    planner.type_into("name", "Ring")
    rx = planner.add("Prescription", (520.0, 0.0))
    planner.type_into("dose_cgy", "6000")
    iso = planner.add("Isocenter", (780.0, 0.0))
    arcs = planner.add("VMAT arcs", (1040.0, 0.0))
    planner.add_row("arcs")
    planner.add_row("arcs")
    target = planner.add("Objective", (1300.0, 0.0))
    planner.choose("type", "MinDose")
    planner.type_into("dose_cgy", "6000")
    planner.type_into("weight", "50")
    organ = planner.add("Objective", (1300.0, 200.0))
    planner.choose("type", "MaxDose")
    planner.type_into("dose_cgy", "4000")
    rounds = planner.add("Rounds", (0.0, 600.0))
    planner.type_into("max_rounds", "2")
    optimize = planner.add("Optimize", (260.0, 600.0))
    dvh = planner.add("DVH condition", (520.0, 600.0))
    planner.choose("metric", "mean dose")
    planner.choose("comparison", ">")
    planner.type_into("threshold", "1000")
    adjust = planner.add("Adjust functions", (820.0, 600.0))
    planner.type_into("amount", "0.98")
    end = planner.add("End of rounds", (1100.0, 600.0))

    for wire in [(ptv, "roi", rx, "roi"), (ptv, "roi", iso, "roi"), (ptv, "roi", ring, "roi"),
                 (ptv, "roi", target, "roi"), (ring, "roi", organ, "roi"), (lungs, "roi", dvh, "roi"),
                 (plan, "plan", rx, "plan"), (rx, "plan", iso, "plan"), (iso, "plan", arcs, "plan"),
                 (arcs, "plan", target, "plan"), (target, "plan", organ, "plan"), (organ, "plan", rounds, "plan"),
                 (rounds, "plan", optimize, "plan"), (optimize, "plan", dvh, "plan"),
                 (optimize, "plan", adjust, "plan"), (organ, "function", adjust, "function"),
                 (dvh, "result", adjust, "when"), (adjust, "plan", end, "plan")]:
        planner.wire(*wire)

    planner.select(arcs)
    assert [a["name"] for a in params(arcs)["arcs"]] == ["A1", "A2"]
    assert params(target)["type"] == "MinDose" and params(target)["dose_cgy"] == 6000.0
    assert params(organ)["type"] == "MaxDose" and params(organ)["dose_cgy"] == 4000.0
    assert params(dvh)["metric"] == "mean" and params(dvh)["comparison"] == ">"
    assert params(adjust)["amount"] == 0.98 and params(rounds)["max_rounds"] == 2
    qtbot.waitUntil(lambda: window.canvas.node_view(target).view.summary.startswith("PTV · MinDose 6000 cGy · w 50"),
                    timeout=2000)  # summaries follow the wires once the flow is checked again

    path = tmp_path / "small_lung.json"
    window.prompts.next_path = path
    qtbot.keyClick(window.viewer, QtCore.Qt.Key_S, QtCore.Qt.ControlModifier)
    assert path.exists() and not window.doc.dirty

    flow = load_flow(path)
    assert len(flow.nodes) == 14 and len(flow.edges) == 18
    assert analyze(flow, default_registry()).problems == []
    out = tmp_path / "run"
    assert main(["run", str(path), "--grid", "10", "--out", str(out)]) == 0
    assert '"status": "completed"' in (out / "summary.json").read_text(encoding="utf-8")
