"""A flow that continues the plan open in RayStation is refused before anything changes when that plan lacks
what the flow needs of it (beams, functions, a dose), read from the case."""

from __future__ import annotations

from planflow_qt.backends.raystation.double import install_double, uninstall_double
from planflow_qt.engine.states import RunStatus
from planflow_qt.model.builder import FlowBuilder
from planflow_qt.model.files import save_flow


def test_no_open_plan_means_nothing_the_flow_needs_of_it(tmp_path):
    from planflow_qt.raystation import run_flow

    b = FlowBuilder("continue")
    b.chain(b.add("plan.current", "plan"), b.add("opt.run", "run"))
    path = tmp_path / "continue.json"
    save_flow(b.build(), path)
    world = install_double("2025-stubs", case="lung", grid_mm=10.0)
    try:
        result = run_flow(path)
    finally:
        uninstall_double()
    assert result.status == RunStatus.REFUSED
    needs = sorted(p.message.split(" from ")[0] for p in result.problems if p.node_id == "run")
    assert needs == ["needs beams", "needs optimization functions"]
    assert world.recorder.count("RunOptimization") == 0
