"""Entry from RayStation: `run_flow` in the script console, `main()` opening the editor on the case."""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path

import pytest

from planflow_qt.backends import make_backend
from planflow_qt.backends.base import BackendError
from planflow_qt.backends.raystation import RayStationBackend, RayStationUnavailable
from planflow_qt.backends.raystation.binding import RayStationBinding
from planflow_qt.raystation import EDITOR_MISSING, main, run_flow
from planflow_qt.raystation.double_run import main as double_main

FLOWS = Path(__file__).parents[2] / "flows"


def test_run_flow_prints_the_preflight_and_each_round(install, quick_flow, tmp_path, capsys):
    world = install("2025", case="esophagus")
    path = tmp_path / "eso.json"
    path.write_text(quick_flow("esophagus_vmat.json").model_dump_json(by_alias=True), encoding="utf-8")
    result = run_flow(path, out_dir=tmp_path / "out")
    out = capsys.readouterr().out
    assert result.status == "completed"
    assert "ROI matching" in out and "External" in out and "Preflight passed" in out
    assert out.count("round ") >= result.rounds and "round 1 finished" in out
    assert "PlanFlow completed" in out and (tmp_path / "out" / "run.jsonl").exists()
    progress = world.recorder.of("set_progress")
    assert progress[0].kwargs == {"message": "PlanFlow: New plan", "percentage": -1}
    assert any(c.kwargs["message"].startswith("PlanFlow round 1: ") for c in progress)
    assert progress[-1].kwargs == {"message": "PlanFlow: finished", "percentage": 100}


def test_run_flow_without_rich_writes_plain_lines(install, quick_flow, tmp_path, capsys, monkeypatch):
    install("2025")
    for name in ("rich", "rich.console", "rich.table"):
        monkeypatch.setitem(sys.modules, name, None)
    path = tmp_path / "lung.json"
    path.write_text(quick_flow("lung_progressive.json").model_dump_json(by_alias=True), encoding="utf-8")
    assert run_flow(path).status == "completed"
    lines = capsys.readouterr().out.splitlines()
    assert next(line for line in lines if "Body" in line).split() == ["Body", "External", "required"]
    first_round = next(line for line in lines if line.startswith("round 1 finished"))
    assert "PTV V6000cGy (%) = 95" in first_round


def test_main_explains_a_missing_editor(double, monkeypatch):
    monkeypatch.setitem(sys.modules, "planflow_qt.editor.app", None)
    with pytest.raises(ImportError) as error:
        main()
    assert str(error.value).startswith(EDITOR_MISSING)


def test_main_opens_the_editor_bound_to_the_case(double, monkeypatch):
    opened = {}
    editor = types.ModuleType("planflow_qt.editor.app")
    editor.launch = lambda **kwargs: opened.update(kwargs) or "window"
    monkeypatch.setitem(sys.modules, "planflow_qt.editor.app", editor)
    assert main("flows/lung_progressive.json") == "window"
    binding = opened["raystation"]
    assert opened["flow_path"] == "flows/lung_progressive.json" and isinstance(binding, RayStationBinding)
    assert {"PTV", "Lungs", "External"} <= set(binding.roi_names)
    assert binding.goal_templates == ["Lung", "Esophagus"]
    assert "Halcyon" in binding.machines and binding.case_label == "PHANTOM^Simulated / Phantom lung"
    first, second = binding.backend_factory(), binding.backend_factory()
    assert isinstance(first, RayStationBackend) and first is not second


def test_main_without_a_case_says_so(install):
    install("2025", open_case=False)
    with pytest.raises(BackendError, match="no case is open in RayStation"):
        main()


def test_backend_outside_raystation_says_where_to_run():
    with pytest.raises(RayStationUnavailable, match="script console"):
        RayStationBackend()


def test_make_backend_builds_the_raystation_backend(double):
    backend = make_backend("raystation")
    assert isinstance(backend, RayStationBackend) and backend.scripting.module == "raystation"


def test_2024b_uses_connect(install):
    install("2024B")
    assert RayStationBackend().scripting.module == "connect"


def test_the_double_runs_a_flow_from_the_command_line(tmp_path, capsys):
    calls = tmp_path / "calls.jsonl"
    code = double_main([str(FLOWS / "lung_single_pass.json"), "--generation", "2025-stubs", "--calls", str(calls)])
    out = capsys.readouterr().out
    assert code == 0 and "patient saved 1 time(s)" in out
    lines = [json.loads(line) for line in calls.read_text(encoding="utf-8").splitlines()]
    goal = next(line for line in lines if line["member"] == "AddClinicalGoal")
    assert goal["kind"] == "call" and goal["class"] == "EvaluationSetup" and goal["node"] == "goals"
    assert "PrimaryAcceptanceLevel" in goal["keywords"]
    assert {line["kind"] for line in lines} == {"call", "set", "get"}
    assert "connect" not in sys.modules, "the double is removed afterwards"
