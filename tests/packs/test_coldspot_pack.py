"""A node pack installed beside PlanFlow: found through its entry point, listed in the node reference,
validated, preflighted, and run on the simulated patient and through the RayStation backend's double,
with no change to PlanFlow (`tests/packs/coldspot_pack`)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from planflow_qt.backends.raystation.double import install_double, uninstall_double
from planflow_qt.backends.simulated import SimulatedBackend
from planflow_qt.catalog.registry import default_registry
from planflow_qt.engine.events import EventKind
from planflow_qt.engine.states import RunStatus
from planflow_qt.engine.validation import validate
from planflow_qt.model.builder import FlowBuilder
from planflow_qt.model.files import save_flow
from planflow_qt.runner import execute


def coldspot_flow(**params) -> FlowBuilder:
    """Plan, arc, optimize; the PTV's cold spot gets a MinDose function; optimize again."""
    b = FlowBuilder("cold spot")
    b.add("opt.function", "cover", {"type": "MinDose", "dose_cgy": 6000})
    b.add("opt.run", "run")
    b.add("coldspot.roi", "cold", params)
    b.add("opt.function", "boost", {"type": "MinDose", "dose_cgy": 6000, "weight": 20})
    b.add("opt.run", "again")
    b.chain(b.photon_setup(), "cover", "run", "cold", "boost", "again")
    for dst in ("cover.roi", "cold.target"):
        b.wire("ptv.roi", dst)
    b.wire("cold.roi", "boost.roi")
    return b


def test_the_pack_is_found_through_its_entry_point_and_in_the_node_reference(coldspot_pack):
    node_type = default_registry().get("coldspot.roi")
    assert node_type is not None and node_type.__module__ == "planflow_coldspot.nodes"
    pack = Path(__file__).parent / "coldspot_pack"
    paths = [str(coldspot_pack), str(pack), os.environ.get("PYTHONPATH", "")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}
    out = subprocess.run([sys.executable, "-m", "planflow_qt.cli", "nodes", "--markdown"], env=env,
                         capture_output=True, text=True, encoding="utf-8", check=True).stdout
    assert "coldspot.roi" in out and "Cold spot" in out
    assert "Isodose level (cGy) the target should reach" in out


def test_the_pack_node_is_validated_like_a_built_in_one(coldspot_pack):
    assert validate(coldspot_flow().build()) == []
    early = coldspot_flow()
    early.flow.edges = [e for e in early.flow.edges if e.dst != ("cold", "plan") and e.src != ("cold", "plan")]
    early.wire("arcs", "cold")
    early.wire("cold", "boost")
    problems = [(p.node_id, p.message) for p in validate(early.build())]
    assert ("cold", "needs a dose before it: place 'Final dose' or 'Optimize' upstream of it on the plan wires") \
        in problems
    bad = [(p.node_id, p.field, p.message) for p in validate(coldspot_flow(level_cgy=-5).build())]
    assert bad == [("cold", "params.level_cgy", "Input should be greater than 0")]
    clash = coldspot_flow(name="PTV").build()
    assert [(p.node_id, p.field) for p in validate(clash)] == [("cold", "params.name")]


def test_the_pack_node_is_preflighted_against_the_case(coldspot_pack):
    result = execute(coldspot_flow(name="Heart").build(), SimulatedBackend(case="lung", grid_mm=10.0)).result
    assert result.status == RunStatus.REFUSED
    assert [(p.node_id, p.message.split(":")[0]) for p in result.problems] == [
        ("cold", "the case already has an ROI 'Heart'")]


def test_the_pack_node_runs_on_the_simulated_patient_with_its_warning(coldspot_pack):
    events = []
    outcome = execute(coldspot_flow(level_cgy=6500, warn_above_cc=0).build(),
                      SimulatedBackend(case="lung", grid_mm=10.0), observers=[events.append])
    assert outcome.result.status == RunStatus.COMPLETED, outcome.result.error
    [warning] = [e for e in events if e.kind is EventKind.WARNING and e.node_id == "cold"]
    assert "cc of PTV receive less than 6500 cGy" in warning.message
    assert "PTV_cold" in outcome.backend.roi_names()
    assert outcome.result.metrics[0]["PTV_cold volume"] > 0


def test_the_pack_node_runs_through_the_raystation_backend(coldspot_pack, tmp_path):
    from planflow_qt.raystation import run_flow

    path = tmp_path / "coldspot.json"
    save_flow(coldspot_flow(level_cgy=6500).build(), path)
    world = install_double("2025-stubs", case="lung", grid_mm=10.0)
    try:
        result = run_flow(path)
    finally:
        uninstall_double()
    assert result.status == RunStatus.COMPLETED, result.error
    assert world.recorder.count("CreateRoiGeometryFromDose") == 1
    assert world.recorder.count("RunOptimization") == 2
