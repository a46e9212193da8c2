"""Exact backend call sequences of flows run against the recording backend (DESIGN section 3)."""

from __future__ import annotations

from planflow_qt.engine.events import EventKind
from planflow_qt.engine.interpreter import Interpreter
from planflow_qt.engine.recording import RecordingBackend
from planflow_qt.model.builder import FlowBuilder

ARC = {"name": "A1", "gantry_start_deg": 181, "gantry_stop_deg": 179}


def run(builder: FlowBuilder, backend: RecordingBackend):
    """Run the flow; the result and every event, in order."""
    events = []
    result = Interpreter(builder.build(), backend, [events.append]).run()
    return result, events


def skips(events) -> dict[tuple[str, int | None], str]:
    """Skip reasons by (node id, round)."""
    return {(e.node_id, e.round): e.message for e in events if e.kind is EventKind.NODE_SKIPPED}


TARGET_SETUP = ["create_plan", "set_isocenter", "add_vmat_arcs", "add_function", "set_prescription"]
"""The backend calls of `plan_with_target`."""


def plan_with_target(b: FlowBuilder) -> None:
    """plan -> isocenter -> arcs -> MinDose(PTV) -> rx(PTV): a plan that can be optimized; the PTV ROI is `ptv`,
    the lungs `lung`."""
    b.add("plan.create", "plan", {"name": "P"})
    b.add("roi.match", "ptv", {"name": "PTV"})
    b.add("roi.match", "lung", {"name": "Lung_Both"})
    b.add("plan.isocenter", "iso", {"method": "coordinates"})
    b.add("plan.vmat_arcs", "arcs", {"arcs": [ARC]})
    b.add("opt.function", "f0", {"type": "MinDose", "dose_cgy": 6000, "tag": "PTV_cover"})
    b.add("plan.prescription", "rx", {"dose_cgy": 6000})
    b.chain("plan", "iso", "arcs", "f0", "rx")
    b.wire("ptv.roi", "f0.roi")
    b.wire("ptv.roi", "rx.roi")


def test_straight_setup_chain_calls_in_plan_wire_order():
    b = FlowBuilder("setup")
    b.add("plan.create", "plan", {"name": "Lung", "fractions": 30})
    b.add("roi.match", "ptv", {"name": "PTV", "aliases": ["PTV_60"]})
    b.add("roi.match", "lung", {"name": "Lungs"})
    b.add("plan.prescription", "rx", {"dose_cgy": 6000})
    b.add("plan.isocenter", "iso")
    b.add("plan.vmat_arcs", "arcs", {"arcs": [ARC, {**ARC, "name": "A2", "direction": "CounterClockwise"}]})
    b.add("plan.clinical_goals", "goals", {"goals": [
        {"roi": "Lungs", "criterion": "AtMost", "type": "VolumeAtDose", "level": 30, "parameter": 2000}]})
    b.add("opt.settings", "settings", {"iterations": 60})
    b.add("opt.function", "f_ptv", {"type": "MinDose", "dose_cgy": 5700, "weight": 100})
    b.add("opt.function", "f_lung", {"type": "MaxDvh", "dose_cgy": 2000, "volume_percent": 30, "tag": "lungs_v20"})
    b.add("opt.run", "run")
    b.add("dose.normalize", "norm")
    b.add("dose.final", "final", {"algorithm": "MonteCarlo"})
    b.add("flow.save", "save")
    b.chain("plan", "rx", "iso", "arcs", "goals", "settings", "f_ptv", "f_lung", "run", "norm", "final", "save")
    b.wire("ptv.roi", "rx.roi")
    b.wire("ptv.roi", "iso.roi")
    b.wire("ptv.roi", "f_ptv.roi")
    b.wire("lung.roi", "f_lung.roi")
    rb = RecordingBackend(rois=["PTV_60", "Lungs", "External"])

    result, _ = run(b, rb)

    assert result.status == "completed", result.error
    assert rb.names() == [
        "create_plan", "set_prescription", "set_isocenter", "add_vmat_arcs", "add_clinical_goals",
        "set_optimization_settings", "add_function", "add_function", "run_optimization",
        "normalize_to_prescription", "compute_final_dose", "save"]
    calls = [c for c in rb.calls if c[0] not in ("roi_names", "function_tags", "function_state", "progress")]
    assert calls == [
        ("create_plan", {"name": "Lung", "technique": "VMAT", "fractions": 30}),
        ("set_prescription", {"roi": "PTV_60", "dose_cgy": 6000.0}),
        ("set_isocenter", {"roi": "PTV_60", "poi": None, "position_cm": None}),
        ("add_vmat_arcs", {"arcs": ["A1", "A2"]}),
        ("add_clinical_goals", {"goals": 1, "template": None}),
        ("set_optimization_settings", {"iterations": 60}),
        ("add_function", {"tag": "PTV_MinDose_1", "roi": "PTV_60", "type": "MinDose"}),
        ("add_function", {"tag": "lungs_v20", "roi": "Lungs", "type": "MaxDvh"}),
        ("run_optimization", {}),
        ("normalize_to_prescription", {}),
        ("compute_final_dose", {"algorithm": "MonteCarlo"}),
        ("save", {}),
    ]
    assert set(result.node_states.values()) == {"done"}


def lung_loop(b: FlowBuilder, max_rounds: int = 3) -> None:
    """Setup with a lung function `Lung_max`, then a loop lb -> run -> ... (body wired by the caller)."""
    plan_with_target(b)
    b.add("opt.function", "f_lung", {"type": "MaxDose", "dose_cgy": 2000, "tag": "Lung_max"})
    b.wire("rx", "f_lung")
    b.wire("lung.roi", "f_lung.roi")
    b.add("loop.begin", "lb", {"max_rounds": max_rounds})
    b.wire("f_lung", "lb")
    b.add("opt.run", "run")
    b.wire("lb", "run")


def test_dvh_condition_gates_adjustment_only_in_rounds_where_it_is_true():
    b = FlowBuilder("gated")
    lung_loop(b)
    b.add("cond.dvh", "v20", {"metric": "volume_at_dose", "dose_cgy": 2000, "comparison": ">", "threshold": 28})
    b.wire("run", "v20")
    b.wire("lung.roi", "v20.roi")
    b.add("opt.adjust", "raise", {"selector": {"tags": ["Lung_*"]}, "field": "weight", "mode": "scale",
                                  "amount": 2})
    b.wire("run", "raise")
    b.wire("v20.result", "raise.when")
    b.add("loop.end", "le")
    b.wire("raise", "le")
    rb = RecordingBackend(rois=["PTV", "Lung_Both"], answers={"volume_at_dose:Lung_Both": [30, 20, 29]})

    result, events = run(b, rb)

    assert result.status == "completed", result.error
    assert result.rounds == 3
    assert rb.names() == [
        "create_plan", "set_isocenter", "add_vmat_arcs", "add_function", "set_prescription", "add_function",
        "run_optimization", "volume_at_dose", "update_function",
        "run_optimization", "volume_at_dose",
        "run_optimization", "volume_at_dose", "update_function"]
    updates = [kw for name, kw in rb.calls if name == "update_function"]
    assert [(u["tag"], u["weight"]) for u in updates] == [("Lung_max", 2.0), ("Lung_max", 4.0)]
    assert skips(events) == {("raise", 2): "its condition is false"}
    assert [result.metrics[r]["c_Lung_Both_V2000cGy_1"] for r in (1, 2, 3)] == [30.0, 20.0, 29.0]


def test_true_stop_input_ends_the_loop_after_that_round():
    b = FlowBuilder("early stop")
    lung_loop(b, max_rounds=6)
    b.add("cond.dvh", "ok", {"metric": "volume_at_dose", "dose_cgy": 2000, "comparison": "<", "threshold": 25})
    b.wire("run", "ok")
    b.wire("lung.roi", "ok.roi")
    b.add("loop.end", "le")
    b.wire("run", "le")
    b.wire("ok.result", "le.stop")
    b.add("flow.save", "save")
    b.wire("le", "save")
    rb = RecordingBackend(rois=["PTV", "Lung_Both"], answers={"volume_at_dose:Lung_Both": [30, 28, 20, 10]})

    result, events = run(b, rb)

    assert result.status == "completed", result.error
    assert result.rounds == 3
    assert rb.names() == [*TARGET_SETUP, "add_function",
                          "run_optimization", "volume_at_dose", "run_optimization", "volume_at_dose",
                          "run_optimization", "volume_at_dose", "save"]
    reasons = [e.data["stop_reason"] for e in events if e.kind is EventKind.ROUND_FINISHED]
    assert reasons == ["", "", "stop condition true"]


def test_stop_when_idle_ends_the_loop_when_no_adjustment_matched():
    b = FlowBuilder("idle")
    lung_loop(b, max_rounds=10)
    b.add("opt.adjust", "tighten", {"selector": {"tags": ["Lung_max"]}, "only_if_value": "<",
                                    "value_threshold": 4e-4, "field": "dose", "mode": "scale", "amount": 0.9})
    b.wire("run", "tighten")
    b.add("loop.end", "le", {"stop_when_idle": True})
    b.wire("tighten", "le")
    rb = RecordingBackend(rois=["PTV", "Lung_Both"], answers={"value:Lung_max": [1e-4, 2e-4, 5e-3, 1e-4]})

    result, events = run(b, rb)

    assert result.status == "completed", result.error
    assert result.rounds == 3
    assert rb.names() == [*TARGET_SETUP, "add_function",
                          "run_optimization", "update_function", "run_optimization", "update_function",
                          "run_optimization"]
    doses = [kw["dose_cgy"] for name, kw in rb.calls if name == "update_function"]
    assert doses == [1800.0, 1620.0]
    finished = [e for e in events if e.kind is EventKind.ROUND_FINISHED]
    assert [e.data["fired"] for e in finished] == [1, 1, 0]
    assert finished[-1].data["stop_reason"] == "no gated action fired"
    assert [result.metrics[r]["functions adjusted"] for r in (1, 2, 3)] == [1.0, 1.0, 0.0]


def test_stop_when_idle_ignores_rounds_in_which_no_gated_action_could_run():
    b = FlowBuilder("idle only when something could act")
    lung_loop(b, max_rounds=6)
    b.add("opt.adjust", "tighten", {"selector": {"tags": ["Lung_max"]}, "only_if_value": "<",
                                    "value_threshold": 4e-4, "field": "dose", "mode": "scale", "amount": 0.9},
          active_rounds=">=3")
    b.wire("run", "tighten")
    b.add("loop.end", "le", {"stop_when_idle": True})
    b.wire("tighten", "le")
    rb = RecordingBackend(rois=["PTV", "Lung_Both"], answers={"value:Lung_max": [1e-4, 1e-4, 1e-4, 5e-3]})

    result, events = run(b, rb)

    finished = [e for e in events if e.kind is EventKind.ROUND_FINISHED]
    assert [e.data["fired"] for e in finished] == [0, 0, 1, 0]
    assert result.rounds == 4, "rounds 1-2 had no active gated action, so they are not idle rounds"
    assert finished[-1].data["stop_reason"] == "no gated action fired"


def test_loop_without_stop_when_idle_runs_every_round_even_when_idle():
    b = FlowBuilder("not idle-stopped")
    lung_loop(b, max_rounds=4)
    b.add("opt.adjust", "tighten", {"selector": {"tags": ["nothing_*"]}, "field": "dose", "amount": 0.9})
    b.wire("run", "tighten")
    b.add("loop.end", "le")
    b.wire("tighten", "le")
    rb = RecordingBackend(rois=["PTV", "Lung_Both"])

    result, events = run(b, rb)

    assert result.rounds == 4
    assert rb.names().count("run_optimization") == 4
    assert "update_function" not in rb.names()
    assert [e.data["stop_reason"] for e in events if e.kind is EventKind.ROUND_FINISHED][-1] == \
        "maximum rounds reached"


def test_round_condition_gates_reset_after_round_three():
    b = FlowBuilder("reset late")
    lung_loop(b, max_rounds=5)
    b.add("cond.round", "late", {"rounds": ">3"})
    b.wire("lb.round", "late.round")
    b.add("opt.reset", "reset")
    b.wire("lb", "reset")
    b.wire("late.result", "reset.when")
    b.flow.edges = [e for e in b.flow.edges if e.dst != ("run", "plan")]
    b.wire("reset", "run")
    b.add("loop.end", "le")
    b.wire("run", "le")
    rb = RecordingBackend(rois=["PTV", "Lung_Both"])

    result, events = run(b, rb)

    assert result.status == "completed", result.error
    assert rb.names()[6:] == ["run_optimization", "run_optimization", "run_optimization",
                              "reset_optimization", "run_optimization", "reset_optimization", "run_optimization"]
    assert sorted(r for (n, r) in skips(events) if n == "reset") == [1, 2, 3]


def test_active_rounds_select_the_rounds_a_node_runs_in():
    b = FlowBuilder("active rounds")
    lung_loop(b, max_rounds=4)
    b.flow.edges = [e for e in b.flow.edges if e.dst != ("run", "plan")]
    b.add("opt.reset", "reset", active_rounds="2-3")
    b.add("flow.save", "save", active_rounds=">=2")
    b.add("flow.wait_user", "wait", {"message": "look"}, active_rounds="1,3")
    b.add("loop.end", "le")
    b.chain("lb", "reset", "save", "wait", "run", "le")
    rb = RecordingBackend(rois=["PTV", "Lung_Both"])

    result, events = run(b, rb)

    assert result.status == "completed", result.error
    assert rb.names()[6:] == [
        "wait_for_user", "run_optimization",
        "reset_optimization", "save", "run_optimization",
        "reset_optimization", "save", "wait_for_user", "run_optimization",
        "save", "run_optimization"]
    reasons = skips(events)
    assert reasons[("reset", 1)] == "not active in round 1 (active rounds 2-3)"
    assert reasons[("save", 1)] == "not active in round 1 (active rounds >=2)"
    assert reasons[("wait", 2)] == "not active in round 2 (active rounds 1,3)"
    assert set(reasons) == {("reset", 1), ("reset", 4), ("save", 1), ("wait", 2), ("wait", 4)}


def test_disabled_node_passes_the_plan_through_without_its_effect():
    b = FlowBuilder("disabled")
    plan_with_target(b)
    b.add("plan.isocenter", "iso2", disabled=True)
    b.add("plan.vmat_arcs", "arcs2", {"arcs": [{**ARC, "name": "A2"}]})
    b.add("opt.run", "run")
    b.add("flow.save", "save")
    b.chain("rx", "iso2", "arcs2", "run", "save")
    b.wire("ptv.roi", "iso2.roi")
    rb = RecordingBackend(rois=["PTV", "Lung_Both"])

    result, events = run(b, rb)

    assert result.status == "completed", result.error
    assert rb.names() == [*TARGET_SETUP, "add_vmat_arcs", "run_optimization", "save"]
    assert result.node_states["iso2"] == "skipped"
    assert result.node_states["save"] == "done"
    assert skips(events) == {("iso2", None): "switched off"}


def conditional_roi_flow() -> FlowBuilder:
    """After the optimization, PTV_cold (a contracted PTV) is created when the PTV's D2 % is at least 6600 cGy;
    a MinDose function on it follows, then a save."""
    b = FlowBuilder("conditional ROI")
    plan_with_target(b)
    b.add("opt.run", "run")
    b.wire("rx", "run")
    b.add("cond.dvh", "hot", {"metric": "dose_at_volume", "volume": 2, "comparison": ">=", "threshold": 6600})
    b.wire("run", "hot")
    b.wire("ptv.roi", "hot.roi")
    b.add("roi.algebra", "cold", {"name": "PTV_cold", "a": {"margin": {"type": "Contract", "superior_cm": 1}}})
    b.wire("ptv.roi", "cold.a")
    b.wire("hot.result", "cold.when")
    b.add("opt.function", "boost", {"type": "MinDose", "dose_cgy": 6000})
    b.wire("run", "boost")
    b.wire("cold.roi", "boost.roi")
    b.add("flow.save", "save")
    b.wire("boost", "save")
    return b


SETUP_CALLS = [*TARGET_SETUP, "run_optimization", "dose_at_volume"]


def test_roi_not_created_makes_the_function_on_it_skip_naming_the_upstream_node():
    rb = RecordingBackend(rois=["PTV", "Lung_Both"], answers={"dose_at_volume:PTV": 6300})

    result, events = run(conditional_roi_flow(), rb)

    assert result.status == "completed", result.error
    assert rb.names() == [*SETUP_CALLS, "save"]
    assert skips(events) == {("cold", None): "its condition is false",
                             ("boost", None): "input roi has no value (cold skipped)"}
    assert result.node_states["save"] == "done"


def test_roi_created_when_condition_true_feeds_the_function():
    rb = RecordingBackend(rois=["PTV", "Lung_Both"], answers={"dose_at_volume:PTV": 6700})

    result, _ = run(conditional_roi_flow(), rb)

    assert result.status == "completed", result.error
    assert rb.names() == [*SETUP_CALLS, "create_roi_algebra", "add_function", "save"]
    assert ("create_roi_algebra", {"name": "PTV_cold", "a": ["PTV"], "b": None, "operation": "None"}) in rb.calls
    assert ("add_function", {"tag": "PTV_cold_MinDose_1", "roi": "PTV_cold", "type": "MinDose"}) in rb.calls


def test_logic_and_or_not_combine_conditions_into_gates():
    b = FlowBuilder("logic")
    plan_with_target(b)
    b.add("opt.run", "run")
    b.wire("rx", "run")
    b.add("cond.dvh", "covered", {"metric": "dose_at_volume", "volume": 95, "comparison": ">=", "threshold": 5700})
    b.add("cond.dvh", "lung_low", {"metric": "mean", "comparison": "<=", "threshold": 1000})
    for cond, roi in (("covered", "ptv"), ("lung_low", "lung")):
        b.wire("run", cond)
        b.wire(f"{roi}.roi", f"{cond}.roi")
    b.add("logic.and", "both")
    b.add("logic.or", "either")
    b.add("logic.not", "lung_high")
    b.add("logic.and", "either_and_high")
    b.add("logic.or", "low_or_both")
    for src, dst in (("covered", "both"), ("lung_low", "both"), ("covered", "either"), ("lung_low", "either"),
                     ("either", "either_and_high"), ("lung_high", "either_and_high"),
                     ("lung_low", "low_or_both"), ("both", "low_or_both")):
        b.wire(f"{src}.result", f"{dst}.inputs")
    b.wire("lung_low.result", "lung_high.value")
    b.add("flow.save", "save")
    b.add("opt.reset", "reset")
    b.add("flow.wait_user", "wait")
    b.add("roi.margin", "prv", {"name": "PTV_prv", "margin": {"superior_cm": 0.5}})
    b.add("roi.ring", "ring", {"name": "PTV_ring", "outward_cm": 2})
    b.chain("run", "save", "reset", "wait")
    b.wire("ptv.roi", "prv.roi")
    b.wire("ptv.roi", "ring.roi")
    b.wire("both.result", "save.when")              # True and False -> False
    b.wire("either.result", "reset.when")           # True or False -> True
    b.wire("lung_high.result", "wait.when")         # not False -> True
    b.wire("either_and_high.result", "prv.when")    # True and True -> True
    b.wire("low_or_both.result", "ring.when")       # False or False -> False
    rb = RecordingBackend(rois=["PTV", "Lung_Both"],
                          answers={"dose_at_volume:PTV": 5800, "dose_statistic:Lung_Both": 1500})

    result, events = run(b, rb)

    assert result.status == "completed", result.error
    assert rb.names() == [*TARGET_SETUP, "run_optimization", "dose_at_volume",
                          "dose_statistic", "reset_optimization", "wait_for_user", "create_roi_margin"]
    assert skips(events) == {("save", None): "its condition is false", ("ring", None): "its condition is false"}


def test_function_rerun_in_a_loop_updates_its_tag_instead_of_duplicating():
    b = FlowBuilder("rerun")
    plan_with_target(b)
    b.add("loop.begin", "lb", {"max_rounds": 3})
    b.wire("rx", "lb")
    b.add("opt.function", "f", {"type": "MinDose", "dose_cgy": 5800, "tag": "PTV_min"})
    b.wire("lb", "f")
    b.wire("ptv.roi", "f.roi")
    b.add("opt.run", "run")
    b.add("loop.end", "le")
    b.chain("f", "run", "le")
    rb = RecordingBackend(rois=["PTV", "Lung_Both"])

    result, _ = run(b, rb)

    assert result.status == "completed", result.error
    assert rb.names() == [*TARGET_SETUP, "add_function", "run_optimization",
                          "update_function", "run_optimization",
                          "update_function", "run_optimization"]
    assert list(rb.functions) == ["PTV_cover", "PTV_min"]
    assert [kw["tag"] for name, kw in rb.calls if name == "update_function"] == ["PTV_min", "PTV_min"]


def test_function_value_condition_aggregates_all_and_any_over_a_selector():
    b = FlowBuilder("feedback")
    plan_with_target(b)
    b.add("roi.ring", "ring", {"name": "Ring", "outward_cm": 2})
    b.wire("ptv.roi", "ring.roi")
    b.add("opt.function", "f_ring", {"type": "DoseFallOff", "high_dose_cgy": 6000, "low_dose_cgy": 3000,
                                      "tag": "Ring_fo"})
    b.add("opt.function", "f_lung", {"type": "DoseFallOff", "high_dose_cgy": 6000, "low_dose_cgy": 2500,
                                      "tag": "Lung_fo"})
    b.add("opt.function", "f_ptv", {"type": "MinDose", "dose_cgy": 5900, "tag": "PTV_min"})
    b.wire("ring.roi", "f_ring.roi")
    b.wire("lung.roi", "f_lung.roi")
    b.wire("ptv.roi", "f_ptv.roi")
    b.add("opt.run", "run")
    b.chain("rx", "f_ring", "f_lung", "f_ptv", "run")
    b.add("cond.function_value", "all_fo", {"selector": {"tags": ["*_fo"]}, "aggregate": "all",
                                            "comparison": ">", "threshold": 4e-4})
    b.add("cond.function_value", "any_fo", {"selector": {"tags": ["*_fo"]}, "aggregate": "any",
                                            "comparison": ">", "threshold": 4e-4})
    b.add("cond.function_value", "ptv_small", {"comparison": "<", "threshold": 1e-3})
    b.wire("run", "all_fo")
    b.wire("run", "any_fo")
    b.wire("run", "ptv_small")
    b.wire("f_ptv.function", "ptv_small.function")
    b.add("flow.save", "save")
    b.add("opt.reset", "reset")
    b.add("flow.wait_user", "wait")
    b.chain("run", "save", "reset", "wait")
    b.wire("all_fo.result", "save.when")
    b.wire("any_fo.result", "reset.when")
    b.wire("ptv_small.result", "wait.when")
    rb = RecordingBackend(rois=["PTV", "Lung_Both"],
                          answers={"value:Ring_fo": 5e-4, "value:Lung_fo": 3e-4, "value:PTV_min": 2e-3})

    result, events = run(b, rb)

    assert result.status == "completed", result.error
    assert rb.names() == [*TARGET_SETUP, "create_roi_wall", "add_function", "add_function",
                          "add_function", "run_optimization", "reset_optimization"]
    assert skips(events) == {("save", None): "its condition is false", ("wait", None): "its condition is false"}
    metrics = result.metrics[0]
    assert metrics["c_function_value_1"] == 3e-4   # all: the worst of the selected values
    assert metrics["c_function_value_2"] == 5e-4   # any: the best
    assert metrics["c_function_value_3"] == 2e-3
