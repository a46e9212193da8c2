"""The run panel: a run on the simulated patient off the UI thread, node states, metrics, DVH, and Stop."""

from pathlib import Path

from Qt import QtCore

from planflow_qt.engine.events import read_log

FLOWS = Path(__file__).parents[2] / "flows"


def test_running_lung_single_pass_on_a_coarse_simulated_case(window, qtbot):
    assert window.open(FLOWS / "lung_single_pass.json")
    panel = window.run_panel
    panel.choose_simulated("lung", 10.0)
    ticks = []
    timer = QtCore.QTimer()
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start(10)
    assert panel.start()
    assert not window.act_run.isEnabled() and window.act_stop.isEnabled()
    qtbot.waitUntil(lambda: not panel.running, timeout=120_000)
    timer.stop()
    outcome = panel.outcome
    assert outcome is not None and outcome.result.status == "completed"
    assert set(panel.states) == set(window.doc.node_ids())
    assert set(panel.states.values()) == {"done"}
    assert {window.canvas.node_view(n).view.run_state for n in window.doc.node_ids()} == {"done"}
    assert len(ticks) > 5, "the UI thread kept running its timers during the run"
    assert panel.plot.drawn_label == "final"
    assert panel.plot.axes.lines, "DVH curves drawn"
    assert panel.metrics.columns == ["final"]
    goal_rows = [r for r in panel.metrics.rows if "PTV" in r]
    assert goal_rows and panel.metrics.cell_text(goal_rows[0], "final")
    assert "completed" in panel.status.text().lower()
    log = panel.log_view.toPlainText()
    assert "run started" in log and "run finished" in log
    assert (outcome.out_dir / "run.jsonl").exists()
    assert window.act_run.isEnabled() and not window.act_stop.isEnabled()


def test_stop_mid_run_ends_cleanly_with_a_consistent_log(window, qtbot):
    assert window.open(FLOWS / "lung_progressive.json")
    panel = window.run_panel
    panel.choose_simulated("lung", 10.0)
    assert panel.start()
    qtbot.waitUntil(lambda: any(e.kind.value == "round_started" for e in panel.events), timeout=120_000)
    window.act_stop.trigger()
    qtbot.waitUntil(lambda: not panel.running, timeout=120_000)
    result = panel.outcome.result
    assert result.status == "stopped"
    assert "running" not in panel.states.values()
    events = read_log(panel.outcome.out_dir / "run.jsonl")
    assert events[0]["kind"] == "run_started" and events[-1]["kind"] == "run_stopped"
    open_nodes = []
    for event in events:
        if event["kind"] == "node_started":
            open_nodes.append(event["node_id"])
        elif event["kind"] in ("node_finished", "node_failed"):
            assert open_nodes.pop() == event["node_id"]
    assert open_nodes == [], "every node that started also finished"
    assert [e.kind.value for e in panel.events] == [e["kind"] for e in events]
    log = panel.log_view.toPlainText().splitlines()
    assert any("stop requested" in line for line in log)
    assert "run stopped" in log[-1]
    assert "Stopped" in panel.status.text()
    assert panel.start(), "a new run may start after a stop"
    window.act_stop.trigger()
    qtbot.waitUntil(lambda: not panel.running, timeout=120_000)


def test_an_invalid_flow_is_not_run(window):
    assert window.open(FLOWS / "lung_single_pass.json")
    edge = window.doc.flow.edges[0]
    window.doc.disconnect(edge.src, edge.dst)
    assert not window.run_panel.start()
    assert "Not run" in window.run_panel.status.text()
    assert not window.run_panel.running


def test_raystation_is_offered_only_when_bound(make_window):
    plain = make_window()
    assert [plain.run_panel.backend_combo.itemData(i) for i in range(plain.run_panel.backend_combo.count())] \
        == ["simulated"]
    bound = make_window(raystation_backend_factory=lambda: None)
    combo = bound.run_panel.backend_combo
    assert [combo.itemData(i) for i in range(combo.count())] == ["simulated", "raystation"]
    combo.setCurrentIndex(1)
    assert not bound.run_panel.case_combo.isEnabled() and not bound.run_panel.grid_spin.isEnabled()


def test_impt_robust_flow_runs_from_the_run_panel(window, run_example):
    panel = run_example("impt_robust.json", "prostate")
    outcome = panel.outcome
    assert outcome.result.status == "completed", outcome.result.error
    assert outcome.result.rounds >= 1
    worst = [e.data["value"] for e in panel.events
             if e.kind.value == "metric" and e.data["name"] == "ctv_d98_worst_low"]
    assert len(worst) == outcome.result.rounds, "the robust evaluation runs once per round"
    assert all(0 < value < 7800 * 1.1 for value in worst)
    assert set(panel.states.values()) <= {"done", "skipped"}


def test_warnings_skips_and_a_failure_of_a_run_show_on_the_nodes_badges(window, qtbot, tmp_path):
    from Qt import QtCore as Core

    from planflow_qt.model.builder import FlowBuilder
    from planflow_qt.model.files import save_flow

    b = FlowBuilder("badges")
    b.add("plan.create", "plan", {"name": "P"})
    b.add("roi.match", "ptv", {"name": "PTV"})
    b.add("plan.isocenter", "iso")
    b.add("plan.vmat_arcs", "arcs", {"arcs": [{"name": "A1", "gantry_start_deg": 181, "gantry_stop_deg": 179}]})
    b.add("opt.function", "f", {"type": "MinDose", "dose_cgy": 6000})
    b.add("opt.run", "run")
    b.add("cond.function_value", "fv", {"selector": {"tags": ["Heart_*"]}})
    b.add("opt.reset", "reset")
    b.add("plan.clinical_goals", "goals", {"template": "No such template"})
    b.chain("plan", "iso", "arcs", "f", "run", "reset", "goals")
    b.wire("run", "fv")
    b.wire("fv.result", "reset.when")
    for dst in ("iso", "f"):
        b.wire("ptv.roi", f"{dst}.roi")
    path = tmp_path / "badges.json"
    save_flow(b.build(), path)
    assert window.open(path)
    panel = window.run_panel
    panel.choose_simulated("lung", 10.0)
    assert window.problems.row_count() == 0
    qtbot.mouseClick(panel.run_button, Core.Qt.LeftButton)
    qtbot.waitUntil(lambda: not panel.running, timeout=120_000)
    assert panel.outcome.result.status == "failed"

    def badge(node_id):
        return window.canvas.node_view(node_id).view.badge

    assert badge("fv").isVisible() and not badge("fv").error
    assert badge("fv").toolTip() == "warning: no function matches the selector: the condition is false"
    assert badge("reset").isVisible() and not badge("reset").error
    assert badge("reset").toolTip() == "skipped: its condition is false"
    failed = badge("goals")
    assert failed.isVisible() and failed.error
    assert "no clinical goal template 'No such template'" in failed.toolTip()
    assert not badge("run").isVisible()
    rows = [window.problems.table.item(r, 3).text() for r in range(window.problems.row_count())]
    assert len(rows) == 1 and rows[0].startswith("node goals (plan.clinical_goals) failed")
    assert "no clinical goal template 'No such template'" in rows[0]
    qtbot.mouseClick(panel.run_button, Core.Qt.LeftButton)
    assert not badge("goals").isVisible() and not badge("fv").isVisible(), "a new run starts with clean badges"
    qtbot.waitUntil(lambda: not panel.running, timeout=120_000)


def test_a_dicom_patient_folder_is_chosen_in_the_run_panel_and_planned_on(window, qtbot, tmp_path):
    from Qt import QtCore as Core

    from planflow_qt.patients.dicom_phantom import write_patient_dicom
    from planflow_qt.patients.phantoms import make_case

    folder = tmp_path / "Lung patient"
    write_patient_dicom(make_case("lung", grid_mm=10.0), folder)
    assert window.open(FLOWS / "lung_single_pass.json")
    panel = window.run_panel
    combo = panel.case_combo
    window.prompts.next_path = folder
    combo.setFocus()
    qtbot.keyClick(combo, Core.Qt.Key_End)
    assert combo.currentText() == "patient Lung patient" and combo.currentData() == str(folder)
    panel.grid_spin.setValue(10.0)
    qtbot.mouseClick(panel.run_button, Core.Qt.LeftButton)
    qtbot.waitUntil(lambda: not panel.running, timeout=180_000)
    outcome = panel.outcome
    assert outcome.result.status == "completed", outcome.result.error
    assert outcome.backend.patient.source == str(folder)
    window.prompts.next_path = None
    qtbot.keyClick(combo, Core.Qt.Key_End)
    assert combo.currentText() == "lung", "a cancelled choice goes back to the first phantom"
