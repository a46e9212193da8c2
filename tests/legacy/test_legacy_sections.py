"""Parsing of each legacy section and quirk, warnings for what cannot be carried over, errors for malformed input."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from planflow_qt.engine.validation import validate
from planflow_qt.model.errors import FlowFileError
from planflow_qt.model.files import load_flow
from planflow_qt.model.legacy import convert_legacy, is_legacy, load_any
from planflow_qt.model.legacy.conditions import parse_rounds_symbol
from planflow_qt.model.legacy.functions import parse_description
from planflow_qt.model.legacy.numbers import parse_flag, parse_integer, parse_number
from planflow_qt.model.planning import FunctionType

FILES = Path(__file__).parent / "files"
EXAMPLE_FLOW = Path(__file__).parents[2] / "flows" / "esophagus_vmat.json"


def esophagus() -> dict:
    return json.loads((FILES / "esophagus_4140.json").read_text(encoding="utf-8"))


def error_of(data: dict) -> str:
    with pytest.raises(FlowFileError) as info:
        convert_legacy(data, "legacy.json")
    return str(info.value)


@pytest.mark.parametrize(("value", "number"), [("181.0", 181.0), ("4140", 4140.0), (2, 2.0), ("1.000e-5", 1e-5),
                                               (" -150 ", -150.0), (0.5, 0.5), ("+3", 3.0), (".5", 0.5)])
def test_numbers_as_text_or_json(value, number):
    assert parse_number(value) == number


@pytest.mark.parametrize("value", ["", "nan", "NaN", "inf", "1e400", "abc", "4,5", 10**20, float("nan"),
                                   float("inf"), 1e300, True, None, [], {}, "1" * 50])
def test_refused_numbers(value):
    with pytest.raises(ValueError):
        parse_number(value)


def test_whole_numbers_and_flags():
    assert parse_integer("40") == 40 and parse_integer(40.0) == 40 and parse_integer("2") == 2
    with pytest.raises(ValueError):
        parse_integer("2.5")
    flags = [parse_flag(v) for v in (True, "True", "true", "1", 1, False, "False", "", None, 0)]
    assert flags == [True] * 5 + [False] * 5
    with pytest.raises(ValueError):
        parse_flag("maybe")


@pytest.mark.parametrize(("kind", "text", "values"), [
    (FunctionType.MIN_DOSE, "Min Dose 3933 cGy", {"dose_cgy": 3933.0}),
    (FunctionType.UNIFORM_DOSE, "Uniform Dose 4140 cGy", {"dose_cgy": 4140.0}),
    (FunctionType.MAX_DVH, "Max DVH 2000 cGy to 30% volume", {"dose_cgy": 2000.0, "volume_percent": 30.0}),
    (FunctionType.MIN_DVH, "Min DVH 500 cGy to 0.1cc volume", {"dose_cgy": 500.0, "volume_cc": 0.1}),
    (FunctionType.MAX_EUD, "Max EUD 2500 cGy, Parameter A 1", {"dose_cgy": 2500.0, "eud_a": 1.0}),
    (FunctionType.MIN_EUD, "Min EUD 4900 cGy, Parameter A -150", {"dose_cgy": 4900.0, "eud_a": -150.0}),
    (FunctionType.DOSE_FALL_OFF, "Dose fall-off [H] 4140 cGy [L] 2070 cGy, Low dose distance 1.5 cm",
     {"high_dose_cgy": 4140.0, "low_dose_cgy": 2070.0, "low_dose_distance_cm": 1.5}),
    (FunctionType.UNIFORMITY_CONSTRAINT, "Uniformity Constraint Rel.std.dev 3 %", {"std_dev_percent": 3.0}),
])
def test_function_descriptions(kind, text, values):
    assert parse_description(kind, text) == values


@pytest.mark.parametrize(("kind", "text"), [(FunctionType.MAX_DOSE, "Max Dose"),
                                            (FunctionType.MAX_DVH, "Max DVH 20 cGy"),
                                            (FunctionType.MAX_EUD, "Max EUD 20 cGy"),
                                            (FunctionType.DOSE_FALL_OFF, "Dose fall-off [H] 4140 cGy")])
def test_unreadable_descriptions(kind, text):
    with pytest.raises(ValueError):
        parse_description(kind, text)


@pytest.mark.parametrize(("symbol", "rounds"), [("≥ 1", "all"), ("≥ 3", ">=3"), ("> 2", ">2"), ("> 0", "all"),
                                                ("= 3", "3"), ("≤ 2", "<=2"), ("‹ 3", "<3"), ("", "all"),
                                                (">= 2", ">=2"), ("<3", "<3"), ("= 0", None), ("‹ 1", None),
                                                ("≤ 0", None), ("≥ 5000", None), ("‹ 5000", "all")])
def test_active_round_symbols(symbol, rounds):
    assert parse_rounds_symbol(symbol) == rounds


def test_every_condition_type_and_operator():
    data = esophagus()
    data["check_conditions"] = [
        {"name": f"c{i}", "roi": roi, "active_round": "≥ 1", "type": kind, "criteria": criteria}
        for i, (roi, kind, criteria) in enumerate([
            ("PTV", "Max Dose", "Dmax (cGy) ≥ 4430"), ("PTV", "Min Dose", "Dmin (cGy) ≤ 3900"),
            ("PTV", "Max DaV", "D2% > 4300 cGy"), ("PTV", "Min DaV", "D0.5cc ‹ 3900 cGy"),
            ("Lungs", "Max VaD", "V2000 cGy ≥ 20%"), ("Lungs", "Min VaD", "V500 cGy = 100cc"),
            ("Heart", "Max Dmean", "Dmean (cGy) ≥ 1500"), ("Heart", "Min Dmean", "Dmean (cGy) ≤ 300"),
            ("N/A", "Alway TRUE", "Alway TRUE in active round")])]
    data["condition_rois"], data["function_adjustments"] = [], []
    flow, _ = convert_legacy(data)
    params = [n.params for n in flow.nodes if n.type in ("cond.dvh", "cond.round")]
    assert [(p.get("metric"), p.get("comparison"), p.get("threshold")) for p in params] == [
        ("max", ">=", 4430.0), ("min", "<=", 3900.0), ("dose_at_volume", ">", 4300.0),
        ("dose_at_volume", "<", 3900.0), ("volume_at_dose", ">=", 20.0), ("volume_at_dose", "=", 100.0),
        ("mean", ">=", 1500.0), ("mean", "<=", 300.0), (None, None, None)]
    assert [(p.get("volume"), p.get("volume_unit"), p.get("dose_cgy")) for p in params[2:6]] == [
        (2.0, "%", None), (0.5, "cc", None), (None, "%", 2000.0), (None, "cc", 500.0)]
    assert params[-1] == {"rounds": "all"}
    assert [n.active_rounds for n in flow.nodes if n.type.startswith("cond.")] == ["all"] * 9
    assert validate(flow) == []


def test_quirks_file_warns_for_everything_it_cannot_carry_over():
    flow, warnings = load_any(FILES / "quirks.json")
    assert validate(flow) == []
    assert warnings == [
        "vmat_beam[0]: unknown field 'dose_rate': ignored",
        "notes_for_physicist: not a Planning-Flow key: ignored",
        "version: '0.9' is not a known Planning-Flow version (1.0, 1.2): read as 1.2",
        "match_roi[1]: no ROI name: skipped",
        "match_roi[3] 'PTV': ROI listed twice: its possible names are merged",
        "flow_name: longer than a plan name may be: the plan is named 'Quirks: what an importer must survive "
        "and report, in a flow whos'",
        "prescription: no number of fractions: 1 used (Planning-Flow's default)",
        "plan: Planning-Flow files do not hold the treatment machine: PlanFlow's default 'Halcyon' is kept; "
        "choose the machine in the 'New plan' node",
        "impt_beam: the technique is VMAT: these beams are not carried over",
        "vmat_beam[0] 'Arc clockwise full 181-179': beam name longer than 16 characters: named 'Arc clockwise "
        "fu'",
        "vmat_beam[1] 'Arc clockwise full 181-179': beam name longer than 16 characters: named 'Arc clockwise "
        "fu'",
        "vmat_beam[1] 'Arc clockwise full 181-179': a beam of that name exists already: named 'Arc clockwise "
        "_2'",
        "beam_settings: not used by Planning-Flow (always empty there): ignored",
        "automate_roi[0] 'PTV+2': boolean_config: operation 'Intersect' without ROI B: the result is ROI A with "
        "its margins",
        "automate_roi[1] 'Ring_later': uses ROI 'Ring_base', which is created only later, by automate_roi[2] "
        "'Ring_base': skipped",
        "automate_roi[3] 'Drawn_by_hand': no boolean operation: nothing to create (skipped)",
        "clinical_goal: matched ROIs without a template: no clinical goals are added",
        "initial_functions[1] 'PTV_Min Dose_1': restricted to beam 'Arc 9', which is not a beam of the flow: "
        "the restriction is dropped",
        "initial_functions[1] 'PTV_Min Dose_1': tag 'PTV_Min Dose_1' is already used by initial_functions[0] "
        "'PTV_Min Dose_1': 'PTV_Min Dose_1_2' used here",
        "initial_functions[2] 'PTV_Uniformity_1': a Uniformity Constraint is always a constraint: made one",
        "initial_functions[3] 'Heart_Max Dose_1': objective without a weight: weight 1 used",
        "initial_functions[4] 'Hot_Max Dose_1': ROI 'Hot' is created only in the optimization rounds, by "
        "condition_rois[0] 'Hot': the function is skipped",
        "robust_settings: isotropic and per-direction uncertainties both given: isotropic 0.5 cm used",
        "optimization_settings: no max_iterations: PlanFlow's default used",
        "check_conditions[1] 'c_never': active in no round ('‹ 1'): always false; what it gates is never done; "
        "left out",
        "check_conditions[2] 'c_Hot_Max Dose_r2_1': ROI 'Hot' is created only in the optimization rounds, by "
        "condition_rois[0] 'Hot': a condition cannot use an ROI the rounds create (PlanFlow passes it on only "
        "within a round); left out, with what it gates",
        "condition_rois[1]: no ROI name: skipped, as Planning-Flow does",
        "condition_rois[2] 'Never_made': condition 'c_missing' is not defined in check_conditions (never true): "
        "the ROI is never created; left out",
        "function_adjustments[0] 'Hot_Max Dose_2': ROI 'Hot' is created only when 'c_PTV_Max Dose_r1_1' holds: "
        "in a round where it did not, the adjustment is skipped",
        "function_adjustments[1] 'PTV_Min Dose_1': condition 'c_missing' is not defined in check_conditions "
        "(never true): the adjustment is never applied; left out",
        "function_adjustments[2] 'PTV_Min Dose_1': condition 'c_never' is never active (always false): the "
        "adjustment is never applied; left out",
        "function_adjustments[3] 'No_such_tag': no function is tagged 'No_such_tag': nothing to adjust (left "
        "out)",
        "function_adjustments[4] 'Hot_Max Dose_2': 'Hot_Max Dose_2' is a function added in the rounds: in a "
        "round before it was added, PlanFlow adds it where Planning-Flow changed nothing",
        "function_adjustments[5] 'PTV_Min Dose_1': tag 'PTV_Min Dose_1' is already used by initial_functions[0] "
        "'PTV_Min Dose_1': 'PTV_Min Dose_1_3' used here",
        "function_adjustments[5] 'PTV_Min Dose_1': added when its condition first holds; in later rounds where "
        "it holds PlanFlow updates that function where Planning-Flow added a duplicate",
    ]


def test_malformed_input_names_the_entry_and_the_field():
    data = esophagus()
    data["check_conditions"][2]["criteria"] = "V2000 cGy is high"
    assert error_of(data) == ("legacy.json: check_conditions[2] 'c_Lungs-PTV_Max VaD_r2_1': criteria: cannot read "
                              "'V2000 cGy is high' as a Max VaD condition: expected the form "
                              "'V{dose} cGy {operator} {volume}{% or cc}'")
    data = esophagus()
    data["check_conditions"][0]["type"] = "Max Function Value"
    assert ("check_conditions[0] 'c_PTV_MaxDose_r1_1': type: unknown condition type 'Max Function Value'"
            in error_of(data))
    data = esophagus()
    data["initial_functions"][3]["description"] = "Max DVH 2000 cGy"
    assert "initial_functions[3] 'Lungs-PTV_Max DVH_1': description: cannot read" in error_of(data)
    data = esophagus()
    data["vmat_beam"][1]["gantry_start"] = "NaN"
    assert error_of(data) == "legacy.json: vmat_beam[1] '2CCW180-181': gantry_start: 'NaN' is not a number"
    data = esophagus()
    data["prescription"]["primary_dose"] = "1e400"
    assert "legacy.json: prescription.primary_dose: '1e400' is not a finite number" in error_of(data)
    data = esophagus()
    data["automate_roi"][0]["boolean_config"]["roi_b"]["margins"]["Left"] = "-1"
    assert "automate_roi[0] 'PTV_Ring': boolean_config.roi_b: left_cm: Input should be greater than or equal to 0" \
        in error_of(data)
    data = esophagus()
    data["match_roi"] = {"roi_name": "PTV"}
    assert error_of(data) == "legacy.json: match_roi: expected a list, found an object"
    data = esophagus()
    data["initial_functions"][0] = "PTV"
    assert error_of(data) == "legacy.json: initial_functions[0]: expected an object, found text"
    data = esophagus()
    del data["function_adjustments"][1]["adjustment"]
    assert "function_adjustments[1] 'Heart_Max EUD_1': adjustment: unknown adjustment ''" in error_of(data)
    data = esophagus()
    data["end_flow"]["max_optimize_rounds"] = 10**12
    assert "legacy.json: end_flow.max_optimize_rounds: " in error_of(data)


def test_names_a_flow_cannot_hold_twice_are_errors():
    data = esophagus()
    data["condition_rois"].append({**data["condition_rois"][0], "condition": "c_Heart_Max Dmean_r1_1"})
    assert "condition_rois[1] 'PTV_Hot': roi_name: ROI 'PTV_Hot' is also created by condition_rois[0]" in error_of(data)
    data = esophagus()
    data["automate_roi"][0]["roi_name"] = "Heart"
    assert "creates ROI 'Heart', which match_roi matches in the case" in error_of(data)
    data = esophagus()
    data["check_conditions"][1]["name"] = "c_PTV_MaxDose_r1_1"
    assert "condition name 'c_PTV_MaxDose_r1_1' is also used by check_conditions[0]" in error_of(data)


def test_condition_names_and_tags_share_one_namespace():
    data = esophagus()
    data["check_conditions"][0]["name"] = "Heart_Max EUD_1"
    for entry in data["condition_rois"] + data["function_adjustments"][:1]:
        entry["condition"] = "Heart_Max EUD_1"
    flow, warnings = convert_legacy(data)
    assert validate(flow) == []
    assert ("check_conditions[0] 'Heart_Max EUD_1': condition name 'Heart_Max EUD_1' is already used by "
            "initial_functions[4] 'Heart_Max EUD_1': 'Heart_Max EUD_1_2' used here") in warnings
    hot = next(n for n in flow.nodes if n.type == "roi.from_dose")
    gate = next(e.src for e in flow.edges if e.dst == (hot.id, "when"))
    assert flow.node(gate[0]).params["name"] == "Heart_Max EUD_1_2"


def test_empty_sections_and_missing_keys_read_as_never_filled():
    data = {"flow_name": "Bare", "technique": "VMAT", "vmat_beam": [], "match_roi": [], "automate_roi": [],
            "initial_functions": [], "optimization_settings": {}, "final_calculation": {}, "check_conditions": [],
            "condition_rois": [], "function_adjustments": [], "end_flow": {}, "isocenter": {}, "prescription": {},
            "clinical_goal": {}, "robust_settings": {}, "version": "1.2"}
    flow, warnings = convert_legacy(data)
    assert [n.type for n in flow.nodes] == ["plan.create", "opt.run"]
    assert [p.message for p in validate(flow)] == [
        "needs beams before it: place 'IMPT beams' or 'VMAT arcs' upstream of it on the plan wires",
        "needs optimization functions before it: place 'Objective' or 'Objective table' upstream of it on the plan "
        "wires"]
    assert "isocenter: not set: the beams need one; add it in the 'Isocenter' node" in warnings
    flow, _ = convert_legacy({"flow_name": "Older", "version": "1.0", "technique": "VMAT"})
    assert [n.type for n in flow.nodes] == ["plan.create", "opt.run"]


def test_conditions_only_in_rounds_that_exist():
    data = esophagus()
    data["end_flow"] = {"max_optimize_rounds": "0"}
    flow, warnings = convert_legacy(data)
    assert not [n for n in flow.nodes if n.type.startswith(("cond.", "loop."))]
    assert "check_conditions: no optimization rounds (end_flow.max_optimize_rounds is 0 or empty): never used, " \
           "left out" in warnings


def test_isocenter_methods_and_robustness():
    data = esophagus()
    data["isocenter"] = {"method": "User Defined POI", "roi_name": "", "poi_name": "ISO"}
    data["robust_settings"] = {"method": "Composite worst cases (minimax)", "density_uncertainty": "3.5",
                               "positioning_uncertainty": {"isotropic": "", "superior": "0.7", "inferior": "0.7",
                                                           "left": "0.5", "right": "0.5", "anterior": "0.3",
                                                           "posterior": "0.3"}}
    flow, _ = convert_legacy(data)
    (iso,) = [n for n in flow.nodes if n.type == "plan.isocenter"]
    assert iso.params == {"method": "poi", "poi": "ISO"}
    (robust,) = [n for n in flow.nodes if n.type == "plan.robustness"]
    assert robust.params == {"superior_cm": 0.7, "inferior_cm": 0.7, "anterior_cm": 0.3, "posterior_cm": 0.3,
                             "left_cm": 0.5, "right_cm": 0.5, "density_percent": 3.5, "method": "CompositeWorstCase"}
    order = [n.type for n in flow.nodes]
    assert order.index("opt.function_table") < order.index("plan.robustness") < order.index("opt.settings")


def test_impt_beams_carry_snout_range_shifter_spacing_and_margins():
    flow, warnings = load_any(FILES / "impt_robust.json")
    (beams,) = [n for n in flow.nodes if n.type == "plan.impt_beams"]
    assert beams.params["beams"][0] == {"name": "G160", "gantry_deg": 160.0, "couch_deg": 0.0, "snout": "SNOUT_M",
                                        "range_shifter": "RS40", "spot_spacing_scale": 0.8,
                                        "layer_spacing_scale": 1.2, "proximal_layers": 2, "distal_layers": 2,
                                        "lateral_margin_cm": 0.5}
    assert beams.params["beams"][2]["snout"] == "" and beams.params["beams"][2]["range_shifter"] == ""
    assert ("impt_beam[1] 'G200': computation settings not carried over: lateral margin 'Automatic with scale' 1.5 "
            "(PlanFlow sets it in cm: 0.5 cm used); spot_pattern 'Square'; angle 45; avoidance_rois ['SpinalCord']; "
            "avoidance_proximal_margin 0.5; layer_repainting_value 2") in warnings
    (settings,) = [n for n in flow.nodes if n.type == "opt.settings"]
    assert settings.params["final_dose_algorithm"] == "MonteCarlo"
    assert "final_calculation: Uncert[%] '0.5' cannot be carried over: RayStation's setting is kept" in warnings


def test_is_legacy_tells_the_two_formats_apart():
    assert is_legacy(esophagus())
    native = json.loads(EXAMPLE_FLOW.read_text(encoding="utf-8"))
    assert not is_legacy(native)
    assert not is_legacy({"flow_name": "x"}) and not is_legacy([esophagus()]) and not is_legacy("flow_name")
    assert not is_legacy({**esophagus(), "schema": "planflow/1"})
    with pytest.raises(FlowFileError, match="not a Planning-Flow file"):
        convert_legacy(native)


def test_load_any_reads_native_flows_unchanged(tmp_path):
    assert load_any(EXAMPLE_FLOW) == (load_flow(EXAMPLE_FLOW), [])
    bad = tmp_path / "bad.json"
    bad.write_text('{"flow_name": "x", "technique": NaN}', encoding="utf-8")
    with pytest.raises(FlowFileError):
        load_any(bad)


def test_conversion_does_not_change_its_input():
    data = esophagus()
    before = copy.deepcopy(data)
    convert_legacy(data)
    assert data == before
