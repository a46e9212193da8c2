"""The window fits the screen and remembers its size; the run panel follows the open flow; a running flow is
not left behind silently (quitting asks, edits during the run are flagged); New starts at 100 %."""

from __future__ import annotations

from pathlib import Path

from Qt import QtGui

FLOWS = Path(__file__).parents[2] / "flows"


def test_the_window_fits_the_available_screen_and_comes_back_at_its_last_size(make_window):
    window = make_window()
    available = QtGui.QGuiApplication.primaryScreen().availableGeometry()
    assert window.width() <= available.width() and window.height() <= available.height()
    window.resize(700, 500)
    window.close()
    again = make_window()
    assert (again.width(), again.height()) == (700, 500)


def test_quitting_during_a_run_asks_first_and_edits_during_the_run_are_flagged(window, qtbot):
    assert window.open(FLOWS / "lung_progressive.json")
    panel = window.run_panel
    panel.choose_simulated("lung", 10.0)
    assert panel.start()
    window.doc.set_params("rounds", {"max_rounds": 2}, field="max_rounds")
    assert panel.edited_during_run and not panel.edit_note.isHidden()
    window.prompts.stop_answer = False
    assert not window.close()
    assert panel.running and ("stop_run", "quit") in window.prompts.asked
    window.prompts.stop_answer = True
    window.doc.undo_stack.setClean()
    assert window.close()
    assert not panel.running


def test_opening_another_flow_clears_the_last_run(window, run_example):
    panel = run_example("lung_single_pass.json")
    assert panel.metrics.columns and panel.report_button.isEnabled()
    assert "Optimize" in panel.log_view.toPlainText() or "optimize" in panel.log_view.toPlainText()
    assert window.open(FLOWS / "esophagus_vmat.json")
    assert panel.metrics.columns == [] and not panel.report_button.isEnabled()
    assert panel.log_view.toPlainText() == "" and panel.status.text() == "Not run yet."
    assert not panel.plot.axes.lines


def test_new_after_a_large_flow_starts_at_full_size(lung, qtbot):
    lung.show()
    qtbot.waitExposed(lung)
    lung.fit()
    assert lung.viewer.transform().m11() < 0.9
    lung.new_flow()
    qtbot.wait(20)
    assert abs(lung.viewer.transform().m11() - 1.0) < 0.02


def test_the_newest_round_is_scrolled_into_view(window, qtbot):
    from planflow_qt.report.snapshots import Snapshot

    window.resize(900, 700)
    window.show()
    qtbot.waitExposed(window)
    window.run_dock.raise_()
    table = window.run_panel.metrics
    for n in range(1, 16):
        table.add_snapshot(Snapshot(label=f"round {n}", round=n, metrics={"PTV D95 (cGy)": 6000.0 + n}))
    bar = table.horizontalScrollBar()
    assert bar.maximum() > 0 and bar.value() == bar.maximum()


def test_a_switched_off_node_shows_its_parameters_without_a_cross(lung):
    lung.doc.toggle_disabled(["fn01"])
    item = lung.canvas.node_view("fn01").view
    assert item.disabled and not item._x_item.isVisible()
    assert item.summary.startswith("PTV · MinDose")
