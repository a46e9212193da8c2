"""Faults: RayStation refusing in the middle of round 2, and preflight refusals that change nothing."""

from __future__ import annotations

import json
from pathlib import Path

from planflow_qt.backends.raystation import RayStationBackend
from planflow_qt.engine.events import read_log
from planflow_qt.raystation import run_flow
from planflow_qt.runner import execute

FLOWS = Path(__file__).parents[2] / "flows"

MUTATING_PREFIXES = ("Create", "Add", "Set", "Save", "Run", "Reset", "Edit", "Delete", "Normalize", "Scale",
                     "Compute", "Apply", "CompositeAction")


def changes(world) -> list:
    """Calls that change the case (or open an undo step)."""
    return [c for c in world.recorder.calls
            if c.kind == "set" or (c.method.startswith(MUTATING_PREFIXES) and c.method != "set_progress")]


def write(tmp_path, flow) -> str:
    path = tmp_path / "flow.json"
    path.write_text(json.dumps(flow.to_json_dict()), encoding="utf-8")
    return str(path)


def test_system_error_in_round_2_stops_the_run_names_node_and_call_and_never_saves(install, quick_flow, tmp_path):
    world = install("2025")
    world.recorder.fail_on("RunOptimization", nth=2, message="Optimization failed: license server lost")
    result = run_flow(write(tmp_path, quick_flow("lung_progressive.json")), out_dir=tmp_path / "out")
    assert result.status == "failed" and result.rounds == 2
    assert "node optimize (opt.run) failed in round 2" in result.error
    assert "RayStation refused plan.PlanOptimizations[0].RunOptimization()" in result.error
    assert "SystemError: Optimization failed: license server lost" in result.error
    failing = world.recorder.index("RunOptimization", 2)
    assert world.recorder.calls[failing].error.startswith("SystemError")
    exit_call = world.recorder.calls[failing + 1]
    assert exit_call.method == "CompositeAction.__exit__" and exit_call.error.startswith("RayStationError")
    assert not [c for c in changes(world) if world.recorder.calls.index(c) > failing + 1], "nothing after the failure"
    assert world.saves == 0 and world.recorder.count("Save") == 0
    events = read_log(tmp_path / "out" / "run.jsonl")
    assert events[0]["kind"] == "run_started" and events[-1]["kind"] == "run_failed"
    failed = [e for e in events if e["kind"] == "node_failed"]
    assert failed[0]["node_id"] == "optimize" and failed[0]["round"] == 2
    assert "RunOptimization()" in failed[0]["data"]["error"]
    assert len([e for e in events if e["kind"] == "round_finished"]) == 1, "round 1 is in the log"


def test_a_failing_call_is_named_with_its_arguments(install, quick_flow):
    world = install("2024B")
    world.recorder.fail_on("ScaleToPrimaryPrescriptionDoseReference", nth=2)
    result = execute(quick_flow("lung_progressive.json"), RayStationBackend()).result
    assert result.status == "failed" and "node normalize (dose.normalize) failed in round 2" in result.error
    assert ("beam_set.ScaleToPrimaryPrescriptionDoseReference(LockedBeamNames=[], "
            "EvaluateOptimizationFunctionsAfterScaling=True)") in result.error
    assert world.saves == 0


def test_missing_required_roi_refuses_before_any_change(install, quick_flow, tmp_path, capsys):
    world = install("2025")
    flow = quick_flow("lung_single_pass.json")
    heart = next(n for n in flow.nodes if n.type == "roi.match" and n.params["name"] == "Heart")
    heart.params = {"name": "Hart", "aliases": []}
    for node in flow.nodes:  # goals name flow ROIs
        if node.type == "plan.clinical_goals":
            node.params = {**node.params, "goals": [{**g, "roi": "Hart" if g["roi"] == "Heart" else g["roi"]}
                                                    for g in node.params["goals"]]}
    result = run_flow(write(tmp_path, flow))
    out = capsys.readouterr().out
    assert result.status == "refused" and "required ROI 'Hart' is not in the case" in result.problems[0].message
    assert "MISSING" in out and "Nothing was changed" in out
    assert changes(world) == [] and world.saves == 0


def test_the_engine_preflight_also_refuses_before_any_change(install, quick_flow):
    world = install("2025")
    flow = quick_flow("esophagus_vmat.json")
    for node in flow.nodes:
        if node.type == "roi.match" and node.params["name"] == "Lungs":
            node.params = {"name": "Lungs", "aliases": []}
    world.case.PatientModel.RegionsOfInterest._remove(world.case.PatientModel.RegionsOfInterest["Lungs"])
    world.recorder.clear()
    result = execute(flow, RayStationBackend()).result
    assert result.status == "refused" and "'Lungs'" in result.error
    assert changes(world) == []


def test_no_case_open_refuses_with_a_clear_message(install, tmp_path, capsys):
    world = install("2025", open_case=False)
    result = run_flow(FLOWS / "lung_single_pass.json")
    out = capsys.readouterr().out
    assert result.status == "refused" and "no case is open in RayStation" in out
    assert [c.method for c in world.recorder.calls] == ["get_current"]


def test_roi_and_plan_name_clashes_refuse(install, quick_flow, tmp_path, capsys):
    world = install("2025")
    world.case.PatientModel.CreateRoi(Name="Ring", Color="Red", Type="Control")
    world.case.AddNewPlan(PlanName="Lung VMAT", ExaminationName="CT 1")
    world.recorder.clear()
    result = run_flow(write(tmp_path, quick_flow("lung_single_pass.json")))
    messages = [p.message for p in result.problems]
    assert result.status == "refused"
    assert any("already has an ROI 'Ring'" in m for m in messages)
    assert any("already has a plan 'Lung VMAT'" in m for m in messages)
    assert changes(world) == []


def test_unknown_machine_and_invalid_flow_refuse(install, quick_flow, tmp_path):
    world = install("2025")
    flow = quick_flow("lung_single_pass.json")
    flow.nodes[0].params = {**flow.nodes[0].params, "machine": "Varian X"}
    result = run_flow(write(tmp_path, flow))
    assert result.status == "refused" and "no commissioned machine 'Varian X'" in result.problems[0].message
    flow.nodes[0].params = {**flow.nodes[0].params, "fractions": 0}
    assert run_flow(write(tmp_path, flow)).status == "invalid"
    assert changes(world) == []


def test_user_stop_at_wait_ends_the_run_without_saving(install, quick_flow):
    from planflow_qt.model.document import Edge, Node

    world = install("2025", user_continues=False)
    flow = quick_flow("lung_single_pass.json")
    flow.nodes.append(Node(id="wait", type="flow.wait_user", params={"message": "Look at the dose."}))
    flow.edges = [e for e in flow.edges if e.dst != ("save", "plan")]
    flow.edges += [Edge(src=("normalize_final", "plan"), dst=("wait", "plan")),
                   Edge(src=("wait", "plan"), dst=("save", "plan"))]
    result = execute(flow, RayStationBackend()).result
    assert result.status == "stopped" and world.messages == ["Look at the dose."]
    assert world.saves == 0


def test_outside_raystation_run_flow_refuses(tmp_path, capsys):
    result = run_flow(FLOWS / "lung_single_pass.json")
    assert result.status == "refused"
    assert "neither 'raystation' nor 'connect'" in capsys.readouterr().out
