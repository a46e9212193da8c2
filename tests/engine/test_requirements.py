"""What a node needs before it runs, as its type declares: static validation refuses a flow exactly where a
run would fail, names the node and says what to place upstream."""

from __future__ import annotations

from pathlib import Path

import pytest

from planflow_qt.backends.simulated import SimulatedBackend
from planflow_qt.catalog.spec import Role
from planflow_qt.engine.events import EventKind
from planflow_qt.engine.interpreter import Interpreter
from planflow_qt.engine.states import RunStatus
from planflow_qt.engine.validation import analyze
from planflow_qt.model.builder import FlowBuilder
from planflow_qt.model.files import load_flow

FLOWS = sorted((Path(__file__).parents[2] / "flows").glob("*.json"))
CASES = {"impt_robust": "prostate", "esophagus_vmat": "esophagus"}


def setup_flow() -> FlowBuilder:
    """plan -> rx(PTV) -> isocenter at the PTV centre -> arc -> MinDose(PTV) -> optimize -> DVH condition."""
    b = FlowBuilder("needs")
    b.add("opt.function", "f", {"type": "MinDose", "dose_cgy": 6000})
    b.add("opt.run", "run")
    b.add("cond.dvh", "cover", {"metric": "dose_at_volume", "volume": 95, "threshold": 5700})
    b.chain(b.photon_setup(), "f", "run", "cover")
    for dst in ("f", "cover"):
        b.wire("ptv.roi", f"{dst}.roi")
    return b


def problems(flow) -> list[tuple[str, str, str, str]]:
    return [(p.node_id, p.field, p.message, p.severity.value) for p in analyze(flow).problems]


def run_unchecked(flow):
    """Run on the simulated lung at 10 mm as if validation had found nothing: where does it fail?"""
    analysis = analyze(flow)
    analysis.problems.clear()
    return Interpreter(flow, SimulatedBackend(case="lung", grid_mm=10.0), analysis=analysis).run()


def test_the_setup_flow_is_valid_and_runs():
    flow = setup_flow().build()
    assert problems(flow) == []
    assert Interpreter(flow, SimulatedBackend(case="lung", grid_mm=10.0)).run().status == RunStatus.COMPLETED


def test_arcs_without_an_isocenter_are_refused_where_the_run_would_fail():
    b = setup_flow()
    b.flow.nodes = [n for n in b.flow.nodes if n.id != "iso"]
    b.flow.edges = [e for e in b.flow.edges if "iso" not in (e.src[0], e.dst[0])]
    b.wire("rx", "arcs")
    flow = b.build()
    assert problems(flow) == [("arcs", "inputs.plan", "needs an isocenter before it: place 'Isocenter' upstream of "
                                                      "it on the plan wires", "error")]
    result = run_unchecked(flow)
    assert result.status == RunStatus.FAILED
    assert result.error.startswith("node arcs (plan.vmat_arcs) failed")
    assert "no isocenter: set the isocenter before adding beams" in result.error


def test_an_isocenter_at_an_roi_centre_needs_the_roi_wired():
    b = setup_flow()
    b.flow.edges = [e for e in b.flow.edges if e.dst != ("iso", "roi")]
    flow = b.build()
    assert problems(flow) == [("iso", "params.method", "with this method, the node needs an roi wired to 'roi': "
                                                       "wire one, or change the method", "error")]
    result = run_unchecked(flow)
    assert result.status == RunStatus.FAILED and result.error.startswith("node iso (plan.isocenter) failed")


def test_a_dvh_condition_before_any_dose_and_normalizing_without_prescription():
    b = setup_flow()
    b.flow.edges = [e for e in b.flow.edges if e.dst != ("cover", "plan")]
    b.wire("f", "cover")
    b.add("dose.normalize", "norm")
    b.flow.nodes = [n for n in b.flow.nodes if n.id != "rx"]
    b.flow.edges = [e for e in b.flow.edges if "rx" not in (e.src[0], e.dst[0])]
    b.wire("plan", "iso")
    b.wire("run", "norm")
    flow = b.build()
    assert problems(flow) == [
        ("cover", "inputs.plan", "needs a dose before it: place 'Final dose' or 'Optimize' upstream of it on the "
                                 "plan wires", "error"),
        ("norm", "inputs.plan", "needs a prescription before it: place 'Prescription' upstream of it on the plan "
                                "wires", "error")]
    result = run_unchecked(flow)
    assert result.error.startswith("node norm (dose.normalize) failed") and "no prescription" in result.error


def test_a_giver_that_may_be_skipped_is_a_warning_and_switched_off_an_error():
    b = setup_flow()
    b.add("cond.round", "first", {"rounds": "1"})
    b.wire("first.result", "f.when")
    assert problems(b.build()) == [
        ("run", "inputs.plan", "needs optimization functions before it, which only f gives and it may be skipped "
                               "(its 'when' input or active rounds): the run fails if it is", "warning")]
    assert analyze(b.build()).ok
    b = setup_flow()
    next(n for n in b.flow.nodes if n.id == "arcs").disabled = True
    [(node, _field, message, severity)] = problems(b.build())
    assert (node, severity) == ("run", "error") and message.startswith("needs beams before it")


def test_the_current_plan_has_what_a_plan_has():
    b = FlowBuilder("current")
    b.add("plan.current", "plan")
    b.add("roi.match", "ptv", {"name": "PTV"})
    b.add("opt.run", "run")
    b.add("cond.dvh", "cover", {"metric": "mean", "threshold": 5700})
    b.chain("plan", "run", "cover")
    b.wire("ptv.roi", "cover.roi")
    assert problems(b.build()) == []


@pytest.mark.parametrize("path", FLOWS, ids=[p.stem for p in FLOWS])
def test_every_example_is_valid_and_gets_past_its_setup_on_the_simulated_patient(path):
    """`planflow validate` finds no problem, and the run passes every setup node: it is stopped as the first
    optimization finishes."""
    flow = load_flow(path)
    analysis = analyze(flow)
    assert analysis.problems == []
    backend = SimulatedBackend(case=CASES.get(path.stem, "lung"), grid_mm=10.0)
    interpreter = Interpreter(flow, backend, analysis=analysis)

    def stop_after_optimizing(event):
        if event.kind is EventKind.NODE_FINISHED and analysis.types[event.node_id].spec.has(Role.OPTIMIZES):
            interpreter.request_stop()

    interpreter.observers.append(stop_after_optimizing)
    result = interpreter.run()
    assert result.status == RunStatus.STOPPED, result.error
    assert RunStatus.FAILED not in result.node_states.values()


def current_plan_flow() -> FlowBuilder:
    """Current plan -> MinDose (PTV) -> optimize -> DVH condition: it needs beams from the open plan."""
    b = FlowBuilder("current")
    b.add("plan.current", "plan")
    b.add("roi.match", "ptv", {"name": "PTV"})
    b.add("opt.function", "f", {"type": "MinDose", "dose_cgy": 6000})
    b.add("opt.run", "run")
    b.add("cond.dvh", "cover", {"metric": "mean", "threshold": 5700})
    b.chain("plan", "f", "run", "cover")
    b.wire("ptv.roi", "f.roi")
    b.wire("ptv.roi", "cover.roi")
    return b


def test_a_flow_on_the_open_plan_is_refused_when_the_plan_lacks_what_it_needs():
    flow = current_plan_flow().build()
    assert problems(flow) == [], "the open plan may have beams: validation cannot know"
    result = Interpreter(flow, SimulatedBackend(case="lung", grid_mm=10.0)).run()
    assert result.status == RunStatus.REFUSED
    assert [(p.node_id, p.message) for p in result.problems] == [
        ("run", "needs beams from the open plan, which has none on simulated: add it to the plan, or place a node "
                "giving it upstream")]


def test_a_flow_on_the_open_plan_runs_when_the_plan_has_what_it_needs():
    backend = SimulatedBackend(case="lung", grid_mm=10.0)
    setup = FlowBuilder("setup")
    setup.photon_setup()
    assert Interpreter(setup.build(), backend).run().status == RunStatus.COMPLETED
    result = Interpreter(current_plan_flow().build(), backend).run()
    assert result.status == RunStatus.COMPLETED, result.error


def test_the_open_plan_gives_no_isocenter_for_new_beams():
    b = FlowBuilder("current arcs")
    b.add("plan.current", "plan")
    b.add("plan.vmat_arcs", "arcs", {"arcs": [{"name": "A9", "gantry_start_deg": 181, "gantry_stop_deg": 179}]})
    b.chain("plan", "arcs")
    assert [p.message for p in analyze(b.build()).problems] == [
        "needs an isocenter before it: place 'Isocenter' upstream of it on the plan wires"]
