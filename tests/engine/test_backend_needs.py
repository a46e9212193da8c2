"""The preflight refuses, before anything changes, nodes asking a backend for what it cannot do, as the node
types declare it (robustness scenarios, DICOM export)."""

from __future__ import annotations

from planflow_qt.backends.simulated import SimulatedBackend
from planflow_qt.engine.recording import RecordingBackend
from planflow_qt.model.builder import FlowBuilder
from planflow_qt.runner import execute


def _flow(**goal) -> FlowBuilder:
    b = FlowBuilder("needs")
    b.add("plan.current", "plan")
    b.add("cond.goal", "goals", goal)
    b.add("dose.export_dicom", "export", {"folder": "C:/export"})
    b.chain("plan", "export")
    b.wire("plan", "goals.plan")
    return b


def test_export_is_refused_on_a_backend_without_it_with_what_to_do():
    backend = RecordingBackend()
    backend.exports_dicom = False
    result = execute(_flow().build(), backend).result
    assert result.status == "refused"
    [problem] = result.problems
    assert (problem.node_id, problem.field) == ("export", "params.folder")
    assert f"DICOM export is not available on {backend.name}" in problem.message
    assert "switch the node off" in problem.message


def planned_lung() -> SimulatedBackend:
    """The simulated lung with an optimized plan open, as a "Current plan" flow expects to find it."""
    backend = SimulatedBackend(case="lung", grid_mm=10.0)
    b = FlowBuilder("setup")
    b.add("opt.function", "f", {"type": "MinDose", "dose_cgy": 6000})
    b.add("opt.run", "run")
    b.chain(b.photon_setup(), "f", "run")
    b.wire("ptv.roi", "f.roi")
    assert execute(b.build(), backend).result.status == "completed"
    return backend


def test_a_switched_off_export_runs_and_a_capable_backend_exports():
    flow = _flow().build()
    next(n for n in flow.nodes if n.id == "export").disabled = True
    assert execute(flow, planned_lung()).result.status == "completed"
    backend = RecordingBackend()
    assert execute(_flow().build(), backend).result.status == "completed"
    assert ("export_dicom", {"folder": "C:/export"}) in backend.calls


def test_goals_over_every_scenario_need_a_backend_that_evaluates_scenarios():
    backend = RecordingBackend()
    backend.evaluates_scenarios = False
    result = execute(_flow(scenarios="every").build(), backend).result
    assert result.status == "refused"
    assert [(p.node_id, p.field) for p in result.problems] == [("goals", "params.scenarios")]
