"""The README's Esophagus_4140 example, completed into a full legacy file: what it becomes, and how it runs."""

from __future__ import annotations

from pathlib import Path

from planflow_qt.engine.interpreter import Interpreter
from planflow_qt.engine.recording import RecordingBackend
from planflow_qt.model.legacy import load_any

FILE = Path(__file__).parent / "files" / "esophagus_4140.json"
CASE = ["PTV_4140", "Lung_Both", "Heart", "Cord", "External"]


def nodes_of(flow, type_id):
    return [n for n in flow.nodes if n.type == type_id]


def test_warnings_are_exactly_what_cannot_be_carried_over():
    _, warnings = load_any(FILE)
    assert warnings == [
        "plan: Planning-Flow files do not hold the treatment machine: PlanFlow's default 'Halcyon' is kept; "
        "choose the machine in the 'New plan' node",
        "function_adjustments[0] 'PTV_Hot_Max Dose_1': added when its condition first holds; in later rounds "
        "where it holds PlanFlow updates that function where Planning-Flow added a duplicate",
    ]


def test_sections_become_nodes_with_the_legacy_values():
    flow, _ = load_any(FILE)
    assert flow.meta.name == "Esophagus_4140" and flow.meta.author == "Paritt"
    assert flow.meta.created == "2026-01-26T13:57:52"
    matches = {n.params["name"]: n.params["aliases"] for n in nodes_of(flow, "roi.match")}
    assert matches == {"PTV": ["PTV_4140", "PTV4140", "PTV_41.4"], "Lungs": ["Lung_Both", "Lungs_Total"],
                       "Heart": [], "SpinalCord": ["Cord", "Spinal_Cord"], "Body": ["External", "BODY"]}
    (plan,) = nodes_of(flow, "plan.create")
    assert (plan.params["name"], plan.params["technique"], plan.params["fractions"]) == ("Esophagus_4140", "VMAT", 23)
    (rx,) = nodes_of(flow, "plan.prescription")
    assert rx.params == {"dose_cgy": 4140.0, "volume_percent": 95.0}
    (arcs,) = nodes_of(flow, "plan.vmat_arcs")
    assert [(a["name"], a["gantry_start_deg"], a["gantry_stop_deg"], a["direction"], a["collimator_deg"])
            for a in arcs.params["arcs"]] == [("1CW181-180", 181.0, 180.0, "Clockwise", 355.0),
                                              ("2CCW180-181", 180.0, 181.0, "CounterClockwise", 5.0)]
    ring = next(n for n in nodes_of(flow, "roi.algebra") if n.params["name"] == "PTV_Ring")
    assert ring.params["operation"] == "Subtraction" and ring.params["a"]["margin"]["superior_cm"] == 2.0
    (table,) = nodes_of(flow, "opt.function_table")
    rows = {row["tag"]: row for row in table.params["functions"]}
    assert rows["PTV_Min DVH_1"] == {"roi": "PTV", "type": "MinDvh", "dose_cgy": 4140.0, "volume_percent": 95.0,
                                     "weight": 100.0, "tag": "PTV_Min DVH_1"}
    assert rows["SpinalCord_Max Dose_1"]["constraint"] is True
    assert rows["Body_Dose fall-off_1"] == {"roi": "Body", "type": "DoseFallOff", "high_dose_cgy": 4140.0,
                                            "low_dose_cgy": 2070.0, "low_dose_distance_cm": 2.0,
                                            "tag": "Body_Dose fall-off_1"}
    (settings,) = nodes_of(flow, "opt.settings")
    assert (settings.params["iterations"], settings.params["tolerance"],
            settings.params["final_dose_algorithm"]) == (40, 1e-5, "CollapsedCone")
    (loop,) = nodes_of(flow, "loop.begin")
    assert loop.params == {"max_rounds": 3}
    conditions = {n.params["name"]: n for n in nodes_of(flow, "cond.dvh")}
    lungs = conditions["c_Lungs-PTV_Max VaD_r2_1"]
    assert lungs.active_rounds == "2"
    assert lungs.params == {"name": "c_Lungs-PTV_Max VaD_r2_1", "metric": "volume_at_dose", "dose_cgy": 2000.0,
                            "volume_unit": "%", "comparison": ">=", "threshold": 3.0}
    (hot,) = nodes_of(flow, "roi.from_dose")
    assert hot.params == {"name": "PTV_Hot", "threshold_cgy": 4300.0, "color": "White"}
    adjust = {n.params["tag"]: n.params for n in nodes_of(flow, "opt.function")}
    assert adjust["Heart_Max EUD_1"]["updates_existing"] is True
    assert "updates_existing" not in adjust["PTV_Hot_Max Dose_1"]
    assert [n.type for n in flow.nodes][-3:] == ["opt.run", "flow.save", "loop.end"]
    assert not nodes_of(flow, "dose.final"), "the legacy tool computes no final dose after its rounds"


def test_runs_in_the_legacy_order_with_conditions_gating_each_round():
    flow, _ = load_any(FILE)
    backend = RecordingBackend(rois=CASE, answers={
        "dose_statistic:PTV_4140": [4400.0, 4300.0, 4300.0],
        "dose_statistic:Heart": [500.0, 450.0, 300.0],
        "volume_at_dose:Lungs-PTV": [1.0, 5.0, 5.0]})
    result = Interpreter(flow, backend).run()
    assert result.status == "completed", result.error
    setup = ["create_plan", "set_prescription", "set_isocenter", "add_vmat_arcs",
             "create_roi_algebra", "create_roi_algebra", "add_clinical_goals", *["add_function"] * 7,
             "set_optimization_settings", "run_optimization"]
    round_1 = ["dose_statistic", "dose_statistic", "create_roi_from_dose", "add_function", "update_function",
               "run_optimization", "save"]
    round_2 = ["dose_statistic", "dose_statistic", "volume_at_dose", "update_function", "update_function",
               "run_optimization", "save"]
    round_3 = ["dose_statistic", "dose_statistic", "run_optimization", "save"]
    assert backend.names() == setup + round_1 + round_2 + round_3
    calls = [c for c in backend.calls if c[0] in ("create_plan", "set_prescription", "create_roi_from_dose",
                                                  "add_function", "update_function")]
    assert calls[0] == ("create_plan", {"name": "Esophagus_4140", "technique": "VMAT", "fractions": 23})
    assert calls[1] == ("set_prescription", {"roi": "PTV_4140", "dose_cgy": 4140.0})
    assert ("create_roi_from_dose", {"name": "PTV_Hot", "threshold_cgy": 4300.0}) in calls
    assert ("add_function", {"tag": "PTV_Hot_Max Dose_1", "roi": "PTV_Hot", "type": "MaxDose"}) in calls
    assert [c[1]["tag"] for c in calls if c[0] == "update_function"] == [
        "Heart_Max EUD_1", "Heart_Max EUD_1", "Lungs-PTV_Max DVH_1"]
