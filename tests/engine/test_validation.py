"""Static validation: each rule of DESIGN section 3 has a failing flow, a message, a node and a field."""

from __future__ import annotations

import pytest

from planflow_qt.engine.validation import Problem, analyze, validate
from planflow_qt.model.builder import FlowBuilder
from planflow_qt.model.document import Edge, Node


def base() -> FlowBuilder:
    """A valid flow: plan -> isocenter -> arc -> MinDose(PTV) -> rx(PTV) -> run; ROIs `ptv` (PTV) and `lung`
    (Lungs)."""
    b = FlowBuilder("base")
    b.add("plan.create", "plan")
    b.add("roi.match", "ptv", {"name": "PTV"})
    b.add("roi.match", "lung", {"name": "Lungs"})
    b.add("plan.isocenter", "base_iso", {"method": "coordinates"})
    b.add("plan.vmat_arcs", "base_arcs", {"arcs": [{"name": "A1", "gantry_start_deg": 181, "gantry_stop_deg": 179}]})
    b.add("opt.function", "base_f", {"type": "MinDose", "dose_cgy": 6000, "tag": "PTV_cover"})
    b.add("plan.prescription", "rx", {"dose_cgy": 6000})
    b.add("opt.run", "run")
    b.chain("plan", "base_iso", "base_arcs", "base_f", "rx", "run")
    b.wire("ptv.roi", "base_f.roi")
    b.wire("ptv.roi", "rx.roi")
    return b


def with_loop(b: FlowBuilder) -> FlowBuilder:
    """Append run -> lb -> opt -> le to a flow."""
    b.add("loop.begin", "lb")
    b.add("opt.run", "opt")
    b.add("loop.end", "le")
    b.chain("run", "lb", "opt", "le")
    return b


def problems_of(b: FlowBuilder) -> list[tuple[str, str, str, str]]:
    return [(p.node_id, p.node_type, p.field, p.message) for p in validate(b.build())]


def test_valid_flows_have_no_problem():
    assert validate(base().build()) == []
    assert validate(with_loop(base()).build()) == []


def test_unknown_type_suggests_the_closest_type():
    b = base()
    b.add("opt.fucntion", "f")
    b.add("zzz.nothing", "z")
    assert problems_of(b) == [
        ("f", "opt.fucntion", "type", "unknown node type 'opt.fucntion': did you mean 'opt.function'?"),
        ("z", "zzz.nothing", "type", "unknown node type 'zzz.nothing': run 'planflow nodes' for the catalog"),
    ]


def test_invalid_params_name_the_field_path():
    b = base()
    b.add("plan.vmat_arcs", "arcs", {"arcs": [{"name": "A1", "gantry_start_deg": 0, "gantry_stop_deg": 10},
                                              {"name": "A2", "gantry_start_deg": 400, "gantry_stop_deg": 10}]})
    b.wire("run", "arcs")
    [(node, kind, field, message)] = problems_of(b)
    assert (node, kind, field) == ("arcs", "plan.vmat_arcs", "params.arcs.1.gantry_start_deg")
    assert message == "Input should be less than 360"


def test_unknown_and_missing_params_say_what_to_do():
    b = base()
    b.flow.node("rx").params = {"dose": 6000}
    assert problems_of(b) == [
        ("rx", "plan.prescription", "params.dose_cgy", "required parameter missing: set it"),
        ("rx", "plan.prescription", "params.dose", "unknown parameter: remove it or check its spelling"),
    ]


def test_model_level_param_rule_is_reported_on_params():
    b = base()
    b.add("opt.function", "f", {"type": "MaxDvh", "dose_cgy": 2000})
    b.chain("run", "f")
    b.wire("lung.roi", "f.roi")
    [(node, _, field, message)] = problems_of(b)
    assert (node, field) == ("f", "params")
    assert message == "Value error, MaxDvh needs exactly one of volume_percent or volume_cc"


def test_round_condition_with_unreadable_rounds_is_a_param_problem():
    b = base()
    b.add("cond.round", "late", {"rounds": "soon"})
    [(node, _, field, message)] = problems_of(b)
    assert (node, field) == ("late", "params.rounds")
    assert "round set 'soon': cannot read 'soon'" in message


def test_missing_required_input():
    b = base()
    b.add("opt.function", "f", {"type": "MinDose", "dose_cgy": 6000})
    b.chain("run", "f")
    assert problems_of(b) == [("f", "opt.function", "inputs.roi", "required input 'roi' (roi) is not wired")]


def test_type_mismatch_names_both_ports():
    b = base()
    b.add("cond.dvh", "c")
    b.wire("ptv.roi", "c.roi")
    b.flow.edges.append(Edge(src=("lung", "roi"), dst=("c", "plan")))
    assert problems_of(b) == [
        ("c", "cond.dvh", "inputs.plan", "type mismatch: 'plan' takes plan, but lung.roi gives roi"),
        ("c", "cond.dvh", "inputs.plan", "required input 'plan' (plan) is not wired"),
    ]


def test_unknown_output_and_input_ports_list_the_real_ones():
    b = base()
    b.add("plan.isocenter", "iso")
    b.chain("run", "iso")
    b.wire("ptv.region", "iso.roi")
    b.add("roi.margin", "prv", {"name": "PTV_prv", "margin": {}})
    b.wire("ptv.roi", "prv.roi")
    b.wire("lung.roi", "prv.source")
    assert problems_of(b) == [
        ("ptv", "roi.match", "outputs.region", "no output named 'region' (outputs: roi)"),
        ("prv", "roi.margin", "inputs.source", "no input named 'source' (inputs: roi, when)"),
    ]


def test_two_wires_into_a_single_input():
    b = base()
    b.wire("lung.roi", "rx.roi")
    assert problems_of(b) == [
        ("rx", "plan.prescription", "inputs.roi", "input 'roi' takes one wire; remove the extra ones")]


def test_many_wires_into_a_multi_input_are_fine():
    b = base()
    for name in ("c1", "c2", "c3"):
        b.add("cond.dvh", name)
        b.wire("run", name)
        b.wire("ptv.roi", f"{name}.roi")
        b.wire(f"{name}.result", "all.inputs")
    b.add("logic.and", "all")
    assert validate(b.build()) == []


def test_self_wire():
    b = base()
    b.add("roi.margin", "prv", {"name": "PTV_prv", "margin": {}})
    b.wire("prv.roi", "prv.roi")
    assert problems_of(b) == [
        ("prv", "roi.margin", "inputs.roi", "a node cannot be wired to itself"),
        ("prv", "roi.margin", "inputs.roi", "required input 'roi' (roi) is not wired"),
    ]


def test_wire_from_and_to_unknown_nodes():
    b = base()
    b.add("plan.isocenter", "iso")
    b.chain("run", "iso")
    b.wire("ghost.roi", "iso.roi")
    b.wire("iso", "phantom")
    b.wire("ghost.roi", "phantom.roi")
    assert problems_of(b) == [
        ("iso", "plan.isocenter", "inputs.roi",
         "wire from unknown node 'ghost': delete the wire or the missing node's reference"),
        ("iso", "plan.isocenter", "outputs.plan", "wire to unknown node 'phantom': delete the wire"),
        ("", "", f"edges.{len(b.build().edges) - 1}",
         "wire from unknown node 'ghost' to unknown node 'phantom': delete the wire"),
    ]


def test_cycle_names_its_nodes_in_document_order():
    b = base()
    b.add("roi.margin", "m1", {"name": "M1", "margin": {}})
    b.add("roi.margin", "m2", {"name": "M2", "margin": {}})
    b.add("roi.margin", "m3", {"name": "M3", "margin": {}})
    b.wire("m3.roi", "m1.roi")
    b.wire("m1.roi", "m2.roi")
    b.wire("m2.roi", "m3.roi")
    assert problems_of(b) == [
        ("m1", "roi.margin", "edges", "cycle through m1 -> m2 -> m3: remove one of its wires "
         "(repetition is drawn with a loop.begin / loop.end pair)")]
    assert analyze(b.build()).order == []


def test_loop_without_end():
    b = base()
    b.add("loop.begin", "lb")
    b.add("opt.run", "opt")
    b.chain("run", "lb", "opt")
    assert problems_of(b) == [
        ("lb", "loop.begin", "outputs.plan", "loop has no 'End of rounds' downstream: add loop.end")]


def test_end_without_begin():
    b = base()
    b.add("loop.end", "le")
    b.chain("run", "le")
    assert problems_of(b) == [
        ("le", "loop.end", "inputs.plan", "'End of rounds' without a 'Rounds' (loop.begin) upstream")]


def test_nested_loops_are_refused_once():
    b = base()
    b.add("loop.begin", "outer")
    b.add("loop.begin", "inner")
    b.add("opt.run", "opt")
    b.add("loop.end", "inner_end")
    b.add("loop.end", "outer_end")
    b.chain("run", "outer", "inner", "opt", "inner_end", "outer_end")
    assert problems_of(b) == [
        ("inner", "loop.begin", "type", "loops do not nest: this loop starts inside the loop of outer")]


def test_loop_reaching_two_ends():
    b = with_loop(base())
    b.add("loop.end", "le2")
    b.wire("opt", "le2")
    assert problems_of(b) == [("lb", "loop.begin", "outputs.plan", "loop reaches several ends (le, le2): keep one")]


def test_two_loops_sharing_one_end():
    b = with_loop(base())
    b.add("loop.begin", "lb2")
    b.add("cond.round", "cr")
    b.wire("run", "lb2")
    b.wire("lb2.round", "cr.round")
    b.wire("cr.result", "le.stop")
    assert problems_of(b) == [
        ("lb2", "loop.begin", "outputs.plan",
         "loop ends at le, which already ends the loop of lb: give each loop its own loop.end")]


def test_value_leaving_a_loop_body_and_node_fed_from_inside_and_after():
    b = with_loop(base())
    b.add("cond.dvh", "c")
    b.wire("opt", "c")
    b.wire("ptv.roi", "c.roi")
    b.add("flow.save", "save")
    b.wire("le", "save")
    b.wire("c.result", "save.when")
    assert problems_of(b) == [
        ("c", "cond.dvh", "outputs", "value leaves the loop body to save: only the plan leaves a loop, through le"),
        ("save", "flow.save", "inputs",
         "takes inputs from inside the loop of lb and from after its end le: move it inside or after the loop"),
    ]


def test_values_from_outside_feed_a_loop_body():
    b = with_loop(base())
    b.add("opt.function", "f", {"type": "MaxDose", "dose_cgy": 2000})
    b.wire("lung.roi", "f.roi")
    b.wire("opt", "f")
    b.flow.edges = [e for e in b.flow.edges if e.src != ("opt", "plan") or e.dst[0] == "f"]
    b.wire("f", "le")
    analysis = analyze(b.build())
    assert analysis.problems == []
    [zone] = analysis.loops
    assert (zone.begin, zone.end, zone.body) == ("lb", "le", ["opt", "f"])


def test_duplicate_tags_and_condition_names():
    b = base()
    for node_id, roi in (("f1", "ptv"), ("f2", "lung")):
        b.add("opt.function", node_id, {"type": "MaxDose", "dose_cgy": 2000, "tag": "max"})
        b.chain("run", node_id)
        b.wire(f"{roi}.roi", f"{node_id}.roi")
    for node_id in ("c1", "c2"):
        b.add("cond.dvh", node_id, {"name": "covered"})
        b.wire("run", node_id)
        b.wire("ptv.roi", f"{node_id}.roi")
    unique = ": names must be unique (to change that function, set 'updates_existing')"
    assert problems_of(b) == [
        ("f2", "opt.function", "params.tag", "name 'max' is already given by f1" + unique),
        ("c2", "cond.dvh", "params.name", "name 'covered' is already given by c1" + unique),
    ]


def test_empty_names_are_numbered_around_given_ones():
    b = base()
    b.add("opt.function", "given", {"type": "MinDose", "dose_cgy": 5700, "tag": "PTV_MinDose_1"})
    b.add("opt.function", "auto1", {"type": "MinDose", "dose_cgy": 5800})
    b.add("opt.function", "auto2", {"type": "MinDose", "dose_cgy": 5900})
    b.add("cond.dvh", "c")
    b.add("cond.dvh", "c2", {"metric": "volume_at_dose", "dose_cgy": 2000})
    b.chain("run", "given", "auto1", "auto2")
    for node_id in ("given", "auto1", "auto2", "c"):
        b.wire("ptv.roi", f"{node_id}.roi")
    b.wire("lung.roi", "c2.roi")
    b.wire("run", "c")
    b.wire("run", "c2")
    analysis = analyze(b.build())
    assert analysis.problems == []
    assert {k: v for k, v in analysis.names.items() if v} == {
        "base_f": ["PTV_cover"], "given": ["PTV_MinDose_1"], "auto1": ["PTV_MinDose_2"], "auto2": ["PTV_MinDose_3"],
        "c": ["c_PTV_D95%_1"], "c2": ["c_Lungs_V2000cGy_1"]}


def test_update_of_a_defined_tag_is_valid_and_of_an_undefined_one_is_not():
    b = base()
    b.add("opt.function", "f", {"type": "MaxDose", "dose_cgy": 2000, "tag": "Lungs_max"})
    b.add("opt.function", "f_later", {"type": "MaxDose", "dose_cgy": 1800, "tag": "Lungs_max",
                                      "updates_existing": True})
    b.chain("run", "f", "f_later")
    b.wire("lung.roi", "f.roi")
    b.wire("lung.roi", "f_later.roi")
    assert validate(b.build()) == []
    b.flow.node("f_later").params = {**b.flow.node("f_later").params, "tag": "Lung_max"}
    assert problems_of(b) == [
        ("f_later", "opt.function", "params.tag", "no function tagged 'Lung_max' is defined in the flow")]


def test_duplicate_created_roi_names():
    b = base()
    for node_id in ("ring1", "ring2"):
        b.add("roi.ring", node_id, {"name": "Ring"})
        b.wire("ptv.roi", f"{node_id}.roi")
    assert problems_of(b) == [
        ("ring2", "roi.ring", "params.name", "ROI 'Ring' is also created by ring1: give one of them another name")]


def test_created_roi_clashing_with_a_matched_roi():
    b = base()
    b.add("roi.margin", "prv", {"name": "Lungs", "margin": {}})
    b.wire("ptv.roi", "prv.roi")
    assert problems_of(b) == [
        ("prv", "roi.margin", "params.name",
         "ROI 'Lungs' is an ROI of the case (matched by lung): a created ROI needs a new name")]


def test_more_than_one_plan_source():
    b = base()
    b.add("plan.current", "current")
    b.add("plan.create", "another")
    assert problems_of(b) == [
        ("current", "plan.current", "type", "more than one plan source (plan, current, another): keep one"),
        ("another", "plan.create", "type", "more than one plan source (plan, current, another): keep one"),
    ]


@pytest.mark.parametrize(("text", "message"), [
    ("3-1", "round set '3-1': range 3-1 runs backwards"),
    ("<1", "round set '<1': '<1' contains no round (rounds start at 1)"),
    ("every other", "round set 'every other': cannot read 'every other'; write e.g. 'all', '3', '2-4', '>=3' "
                    "or '1,3,5'"),
])
def test_invalid_active_rounds_inside_a_loop(text, message):
    b = with_loop(base())
    b.flow.node("opt").active_rounds = text
    assert problems_of(b) == [("opt", "opt.run", "active_rounds", message)]


def test_active_rounds_outside_a_loop():
    b = with_loop(base())
    b.flow.node("run").active_rounds = "2"
    b.flow.node("opt").active_rounds = "2"
    assert problems_of(b) == [
        ("run", "opt.run", "active_rounds", "active rounds only apply inside a loop: set 'all'")]


def test_duplicate_node_ids():
    b = base()
    b.flow.nodes.append(Node(id="run", type="opt.reset"))
    assert problems_of(b) == [("run", "opt.run", "id", "node id 'run' is used 2 times: ids must be unique")]


def test_problem_format():
    problem = Problem("rx", "plan.prescription", "params.dose_cgy", "required parameter missing: set it")
    assert problem.format("a.json") == \
        "a.json: node rx (plan.prescription): params.dose_cgy: required parameter missing: set it"
    assert problem.format() == "node rx (plan.prescription): params.dose_cgy: required parameter missing: set it"


def test_a_ring_without_width_is_refused_before_the_run():
    b = base()
    b.add("roi.ring", "ring", {"name": "Ring", "outward_cm": 0, "inward_cm": 0})
    b.wire("ptv.roi", "ring.roi")
    assert problems_of(b) == [("ring", "roi.ring", "params",
                               "Value error, a ring needs an outward or inward distance above 0 cm")]
