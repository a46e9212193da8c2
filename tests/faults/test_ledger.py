"""The changes ledger: what a failed or stopped run changed in the case and did not save, and what blocks the
next run."""

from __future__ import annotations

import json
from pathlib import Path

from planflow_qt.engine.events import EventKind, read_log
from planflow_qt.engine.interpreter import Interpreter
from planflow_qt.engine.recording import RecordingBackend
from planflow_qt.model.builder import FlowBuilder
from planflow_qt.report.writer import write_report
from planflow_qt.runner import execute

ROOT = Path(__file__).resolve().parents[2]


def lung_flow(tail: tuple[str, ...] = ("run", "tighten", "save")) -> FlowBuilder:
    """plan -> rx -> ring -> nt -> three functions -> `tail` (by default optimize, tighten all three, save;
    `again` is a second optimization)."""
    b = FlowBuilder("ledger")
    b.add("plan.create", "plan", {"name": "Lung VMAT"})
    b.add("roi.match", "ptv", {"name": "PTV"})
    b.add("roi.ring", "ring", {"name": "Ring", "outward_cm": 2.0})
    b.add("roi.margin", "nt", {"name": "nt", "margin": {"superior_cm": 1.0}})
    b.add("plan.isocenter", "iso", {"method": "coordinates"})
    b.add("plan.vmat_arcs", "arcs", {"arcs": [{"name": "A1", "gantry_start_deg": 181, "gantry_stop_deg": 179}]})
    b.add("plan.prescription", "rx", {"dose_cgy": 6000})
    b.add("opt.function", "f1", {"type": "MaxDose", "dose_cgy": 6300, "tag": "PTV_max"})
    b.add("opt.function", "f2", {"type": "MaxEud", "dose_cgy": 3000, "eud_a": 1, "tag": "Ring_eud"})
    b.add("opt.function", "f3", {"type": "MaxDose", "dose_cgy": 4000, "tag": "nt_max"})
    b.add("opt.run", "run")
    b.add("opt.adjust", "tighten", {"mode": "scale", "amount": 0.9, "selector": {"tags": ["*"]}})
    b.add("flow.save", "save")
    if "again" in tail:
        b.add("opt.run", "again")
    b.chain("plan", "iso", "arcs", "rx", "f1", "f2", "f3", *tail)
    for src, dst in (("ptv", "rx"), ("ptv", "ring"), ("ring", "nt"), ("ptv", "f1"), ("ring", "f2"), ("nt", "f3")):
        b.wire(f"{src}.roi", f"{dst}.roi")
    return b


def test_a_run_failing_inside_a_node_lists_every_unsaved_change(tmp_path):
    backend = RecordingBackend(rois=["PTV"], fail=("update_function", 3))
    outcome = execute(lung_flow().build(), backend, tmp_path, case="lung")
    assert outcome.result.status == "failed"
    end = read_log(tmp_path / "run.jsonl")[-1]
    assert end["kind"] == "run_failed"
    unsaved = end["data"]["unsaved"]
    assert unsaved == [
        "plan 'Lung VMAT' created: beam set 'BS1', VMAT (node plan)",
        "ROI 'Ring' created or replaced (node ring)",
        "ROI 'nt' created or replaced (node nt)",
        "isocenter set: (0.0, 0.0, 0.0) (node iso)",
        "arcs added to the beam set: A1 (node arcs)",
        "prescription set: PTV 6000 cGy (node rx)",
        "function 'PTV_max' added: PTV: MaxDose 5670 cGy (weight 1) (node f1, tighten)",
        "function 'Ring_eud' added: Ring: MaxEud 2700 cGy, a = 1 (weight 1) (node f2, tighten)",
        "function 'nt_max' added: nt: MaxDose 3600 cGy (weight 1) (the call failed part-way: check it) "
        "(node f3, tighten)",
        "dose optimized (node run)"]
    assert "undo_steps" not in end["data"]
    assert outcome.unsaved == [f"{len(unsaved)} change(s) to the case not saved:", *(f"  {u}" for u in unsaved)]
    report = write_report(outcome).read_text(encoding="utf-8")
    assert "Not saved in the case" in report and "ROI &#x27;Ring&#x27; created or replaced" in report
    kept = json.loads((tmp_path / "unsaved.json").read_text(encoding="utf-8"))
    assert kept["status"] == "failed" and kept["unsaved"] == unsaved


def test_a_function_changed_after_a_save_shows_its_old_and_new_values():
    flow = lung_flow(("run", "save", "tighten", "again")).build()
    backend = RecordingBackend(rois=["PTV"], fail=("run_optimization", 2))
    events = []
    Interpreter(flow, backend, [events.append]).run()
    end = events[-1]
    assert end.kind is EventKind.RUN_FAILED
    assert end.data["unsaved"] == [
        "function 'PTV_max' changed: PTV: MaxDose 6300 cGy (weight 1) -> PTV: MaxDose 5670 cGy (weight 1) "
        "(node tighten)",
        "function 'Ring_eud' changed: Ring: MaxEud 3000 cGy, a = 1 (weight 1) -> Ring: MaxEud 2700 cGy, a = 1 "
        "(weight 1) (node tighten)",
        "function 'nt_max' changed: nt: MaxDose 4000 cGy (weight 1) -> nt: MaxDose 3600 cGy (weight 1) "
        "(node tighten)",
        "dose optimized (the call failed part-way: check it) (node again)"]


def test_changes_before_a_save_are_not_listed_and_raystation_counts_undo_steps():
    class RayStationLike(RecordingBackend):
        name = "raystation"

    b = lung_flow(("run", "tighten", "save", "again"))
    backend = RayStationLike(rois=["PTV"], fail=("run_optimization", 2))
    events = []
    Interpreter(b.build(), backend, [events.append]).run()
    end = events[-1]
    assert end.kind is EventKind.RUN_FAILED
    assert end.data["unsaved"] == ["dose optimized (the call failed part-way: check it) (node again)"]
    assert end.data["undo_steps"] == 1


def test_a_rerun_refused_by_the_preflight_names_the_leftovers_that_block_it(tmp_path):
    class RayStationLike(RecordingBackend):
        name = "raystation"

    backend = RayStationLike(rois=["PTV"], fail=("create_roi_margin", 1))
    first = execute(lung_flow().build(), backend, tmp_path)
    assert first.result.status == "failed"
    end = read_log(tmp_path / "run.jsonl")[-1]["data"]
    assert end["unsaved"] == ["plan 'Lung VMAT' created: beam set 'BS1', VMAT (node plan)",
                              "ROI 'Ring' created or replaced (node ring)",
                              "ROI 'nt' created or replaced (the call failed part-way: check it) (node nt)"]
    assert end["undo_steps"] == 3
    backend.fail = None
    again = execute(lung_flow().build(), backend, tmp_path)
    assert again.result.status == "refused"
    messages = [p.message for p in again.result.problems]
    started = json.loads((tmp_path / "unsaved.json").read_text(encoding="utf-8"))["started"]
    assert messages == [
        f"the case already has an ROI 'Ring': the flow would overwrite it; rename the created ROI or delete the "
        f"case's one (the ROI 'Ring' left unsaved by the failed run started {started}: undo the previous run "
        f"(3 undo step(s) in RayStation))"]


def test_raystation_rerun_after_a_failed_roi_says_which_leftovers_block_it(tmp_path, capsys):
    from planflow_qt.backends.raystation.double import install_double, uninstall_double
    from planflow_qt.model.files import load_flow, save_flow
    from planflow_qt.raystation import run_flow

    flow = load_flow(ROOT / "flows" / "lung_progressive.json")
    for node in flow.nodes:
        if node.type == "opt.settings":
            node.params = {**node.params, "iterations": 5}
    path = tmp_path / "lung.json"
    save_flow(flow, path)
    world = install_double("2025", grid_mm=10.0)
    try:
        world.recorder.fail_on("CreateAlgebraGeometry", nth=2, message="ROI geometry could not be created")
        first = run_flow(path, out_dir=tmp_path / "out")
        out = capsys.readouterr().out
        assert first.status == "failed"
        assert "change(s) to the case not saved; " in out and "undo step(s) in RayStation revert them:" in out
        assert "plan 'Lung VMAT' created" in out and "ROI 'Ring' created or replaced (node roi-ring)" in out
        again = run_flow(path, out_dir=tmp_path / "out")
        out = capsys.readouterr().out
    finally:
        uninstall_double()
    assert again.status == "refused"
    blocking = [p.message for p in again.problems if "left unsaved by the failed run" in p.message]
    assert any("'Ring'" in m for m in blocking) and any("'Lung VMAT'" in m for m in blocking), out
    assert "undo the previous run (" in blocking[0]
