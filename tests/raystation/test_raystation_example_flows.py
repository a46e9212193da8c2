"""Every example flow and every converted Planning-Flow test file runs to completion through the RayStation
backend against the double, for each profile (2025 stubs, 2025, 2024B); on the 2025-stubs profile every API
access the backend makes is checked against the facts table of the stubs, read here independently."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from planflow_qt.backends.raystation import RayStationBackend
from planflow_qt.backends.raystation.double.facts import FACTS_FILE
from planflow_qt.backends.simulated import SimulatedBackend
from planflow_qt.model.legacy import load_any
from planflow_qt.runner import execute

PROFILES = ("2025-stubs", "2025", "2024B")
FLOWS = {"lung_progressive.json": "lung", "lung_single_pass.json": "lung", "esophagus_vmat.json": "esophagus",
         "impt_robust.json": "prostate"}
LEGACY = Path(__file__).parents[1] / "legacy" / "files"
LEGACY_CASES = {"esophagus_4140.json": "esophagus", "all_conditions.json": "esophagus", "quirks.json": "esophagus",
                "numbers_and_empty.json": "lung", "vmat_robust_isotropic.json": "lung", "impt_robust.json": "esophagus"}
STUBS = json.loads(FACTS_FILE.read_text(encoding="utf-8"))["classes"]


def stub_member(cls: str, name: str) -> tuple[str, dict] | None:
    """('property' | 'method', facts) of `cls.name` in the stubs, searching base classes."""
    todo, seen = [cls], set()
    while todo:
        current = todo.pop()
        if current in seen or current not in STUBS:
            continue
        seen.add(current)
        if name in STUBS[current]["properties"]:
            return "property", STUBS[current]["properties"][name]
        if name in STUBS[current]["methods"]:
            return "method", STUBS[current]["methods"][name]
        todo.extend(STUBS[current]["bases"])
    return None


def stub_violations(accesses: list[dict]) -> list[str]:
    """Accesses the 2025 stubs do not allow: absent members, unknown keywords, sets without setter."""
    wrong = []
    for access in accesses:
        if access["class"] == "Any":
            continue
        found = stub_member(access["class"], access["member"])
        where = f"{access['kind']} {access['class']}.{access['member']}"
        if found is None:
            wrong.append(f"{where}: absent from the stubs")
        elif access["kind"] == "call":
            names = {p[0] for p in found[1]["params"]}
            wrong += [f"{where}: keyword {k} not in the stubs" for k in access["keywords"] if k not in names]
        elif access["kind"] == "set" and not (found[0] == "property" and found[1]["setter"]):
            wrong.append(f"{where}: no setter in the stubs")
    return wrong


def run_through_double(install, flow, case: str, profile: str):
    world = install(profile, case=case)
    backend = RayStationBackend()

    def follow(event):
        if event.kind == "node_started":
            world.node = event.node_id

    result = execute(flow, backend, observers=[follow]).result
    return world, result


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("flow_name", list(FLOWS))
def test_example_flow_completes(install, quick_flow, flow_name, profile):
    world, result = run_through_double(install, quick_flow(flow_name), FLOWS[flow_name], profile)
    assert result.status == "completed", result.error
    assert world.saves == 1
    mutating = [c for c in world.recorder.calls if c.kind == "set" or c.method.startswith(("Create", "Add", "Run"))]
    assert world.recorder.index("Save") > world.recorder.calls.index(mutating[-1]), "Save comes last"
    assert not [c for c in world.recorder.calls if c.error], "no call fails"
    assert all(a["node"] for a in world.accesses if a["member"].startswith(("Create", "Add", "Run"))), \
        "every change is made by a node"
    if profile == "2025-stubs":
        assert stub_violations(world.accesses) == []
    if flow_name == "lung_progressive.json":
        assert result.rounds >= 2 and world.recorder.count("RunOptimization") == result.rounds
    if flow_name == "esophagus_vmat.json":
        assert 1 <= result.rounds <= 3
        hot_rounds = world.recorder.count("CreateRoiGeometryFromDose")
        assert hot_rounds <= result.rounds
        assert world.recorder.count("CreateRoi") == 1 + (hot_rounds > 0), \
            "PTV_Ring, then HotSpot once if a round finds a hot spot: later rounds replace its geometry"
    if flow_name == "impt_robust.json":
        assert world.recorder.count("CreateRadiationSetScenarioGroup") == 1, "one scenario group per run"
        assert world.recorder.count("ComputeScenarioGroupDoseValues") >= result.rounds - 1, "recomputed per round"
        assert world.recorder.count("GetDoseAtRelativeVolumes") > 2 * len(world.sim.dose_scenarios())


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("name", sorted(LEGACY_CASES))
def test_converted_legacy_file_completes(install, name, profile):
    flow, _ = load_any(LEGACY / name)
    for node in flow.nodes:
        if node.type == "opt.settings":
            node.params = {**node.params, "iterations": 5}
        if node.type == "plan.create" and node.params.get("technique") == "IMPT":
            node.params = {**node.params, "machine": "ProteusPLUS"}  # Planning-Flow files store no machine
    world, result = run_through_double(install, flow, LEGACY_CASES[name], profile)
    assert result.status == "completed", result.error
    if profile == "2025-stubs":
        assert stub_violations(world.accesses) == []


def test_the_facts_check_catches_what_the_stubs_lack():
    assert stub_violations([{"kind": "call", "class": "PlanningPhase", "member": "EditOptimizationFunction",
                             "keywords": []},
                            {"kind": "set", "class": "PlanningPhase", "member": "AutoScaleToPrescription",
                             "keywords": []},
                            {"kind": "call", "class": "TreatmentSetupIncludingRadiationSet",
                             "member": "ComputeDose", "keywords": ["DoseAlgorithm"]}]) == [
        "call PlanningPhase.EditOptimizationFunction: absent from the stubs",
        "set PlanningPhase.AutoScaleToPrescription: no setter in the stubs",
        "call TreatmentSetupIncludingRadiationSet.ComputeDose: keyword DoseAlgorithm not in the stubs"]


def test_single_pass_gives_the_simulated_engine_numbers(install, quick_flow):
    install("2025")
    via_raystation = execute(quick_flow("lung_single_pass.json"), RayStationBackend()).result.metrics
    direct = execute(quick_flow("lung_single_pass.json"), SimulatedBackend(case="lung", grid_mm=10.0)).result.metrics
    assert via_raystation.keys() == direct.keys()
    for key, metrics in direct.items():
        assert via_raystation[key] == pytest.approx(metrics, rel=1e-6)


def test_worst_scenario_conditions_read_the_scenario_doses_scaled_to_the_course(install, quick_flow):
    _, result = run_through_double(install, quick_flow("impt_robust.json"), "prostate", "2025-stubs")
    assert result.status == "completed", result.error
    direct = execute(quick_flow("impt_robust.json"), SimulatedBackend(case="prostate", grid_mm=10.0)).result
    for key, metrics in direct.metrics.items():
        assert result.metrics[key] == pytest.approx(metrics, rel=1e-6), key
