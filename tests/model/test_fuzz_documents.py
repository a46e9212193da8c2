"""Fuzzing of flow documents: garbage never raises anything but FlowFileError, and validation never raises.

A loadable document also survives a save / load round trip unchanged, and a flow that validates clean
schedules every node exactly once and runs against the recording backend without raising.
"""

from __future__ import annotations

import copy
import json

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from planflow_qt.catalog.registry import default_registry
from planflow_qt.engine.graph import LoopZone
from planflow_qt.engine.interpreter import Interpreter
from planflow_qt.engine.recording import RecordingBackend
from planflow_qt.engine.schedule import schedule
from planflow_qt.engine.validation import Problem, analyze
from planflow_qt.model.builder import FlowBuilder
from planflow_qt.model.errors import FlowFileError
from planflow_qt.model.files import dumps_flow, flow_from_data, parse_json_text

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

TYPE_IDS = default_registry().ids()
PORTS = ["plan", "roi", "function", "when", "result", "value", "round", "stop", "inputs", "a", "b", "nope"]
PARAM_KEYS = ["name", "dose_cgy", "type", "tag", "max_rounds", "rounds", "metric", "threshold", "comparison",
              "selector", "arcs", "margin", "volume", "aliases", "updates_existing", "stop_when_idle", "x"]
NODE_FIELDS = ["id", "type", "title", "params", "pos", "disabled", "active_rounds", "extra"]

scalars = st.one_of(
    st.none(), st.booleans(),
    st.integers(), st.integers(min_value=-(10**400), max_value=10**400),
    st.floats(allow_nan=False, allow_infinity=False), st.sampled_from([0.0, -0.0, 1e308, 5e-324, 1e7, -1e7]),
    st.text(max_size=20), st.sampled_from([*TYPE_IDS, "planflow/1", "planflow/0", "planflow/9", "all", ">=2"]),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.one_of(st.text(max_size=8), st.sampled_from(PARAM_KEYS)), inner,
                                            max_size=4)),
    max_leaves=12,
)
node_ids = st.one_of(st.sampled_from(["plan", "ptv", "lung", "rx", "lb", "run", "c", "adj", "le", "save"]),
                     st.text(max_size=6))
nodes = st.fixed_dictionaries(
    {"id": node_ids, "type": st.one_of(st.sampled_from(TYPE_IDS), st.text(max_size=12))},
    optional={"params": st.dictionaries(st.sampled_from(PARAM_KEYS), json_values, max_size=4),
              "title": st.one_of(st.text(max_size=30), json_values),
              "pos": st.one_of(st.tuples(st.floats(), st.floats()), json_values),
              "disabled": st.one_of(st.booleans(), json_values),
              "active_rounds": st.one_of(st.sampled_from(["all", "2", "2-3", ">=2", "1,3", "3-1", "x"]),
                                         st.text(max_size=6)),
              "extra": json_values},
)
ports = st.tuples(node_ids, st.sampled_from(PORTS))
plausible = st.one_of(st.integers(-5, 100), st.floats(-10, 7000), st.booleans(),
                      st.sampled_from(["PTV", "Lung_Both", "MinDose", "MaxDvh", "volume_at_dose", ">", "<=", ">=2",
                                       "2-3", "all", "T1"]),
                      st.lists(st.sampled_from(["PTV", "Lung_*", "*"]), max_size=2))
CLEAN_IDS = ["plan", "ptv", "lung", "rx", "lb", "run", "c", "adj", "le", "save", "f", "g"]
clean_nodes = st.fixed_dictionaries(
    {"id": st.sampled_from(CLEAN_IDS), "type": st.sampled_from(TYPE_IDS)},
    optional={"params": st.dictionaries(st.sampled_from(PARAM_KEYS), plausible, max_size=3),
              "disabled": st.booleans(),
              "active_rounds": st.sampled_from(["all", "2", "2-3", ">=2", "1,3"])},
)
clean_ports = st.tuples(st.sampled_from(CLEAN_IDS), st.sampled_from(PORTS))
clean_edges = st.fixed_dictionaries({"src": clean_ports, "dst": clean_ports})
edges = st.one_of(st.fixed_dictionaries({"src": ports, "dst": ports}),
                  st.fixed_dictionaries({"src": json_values, "dst": json_values}), json_values)
documents = st.fixed_dictionaries(
    {},
    optional={"schema": st.one_of(st.just("planflow/1"), json_values),
              "meta": st.one_of(st.fixed_dictionaries({}, optional={"name": st.text(max_size=300),
                                                                    "status": st.sampled_from(["draft", "final"])}),
                                json_values),
              "nodes": st.one_of(st.lists(nodes, max_size=12), json_values),
              "edges": st.one_of(st.lists(edges, max_size=16), json_values),
              "notes": json_values,
              "junk": json_values},
)


def valid_flow_data() -> dict:
    """A valid flow with a setup chain, conditions, gates, a loop and helper ROIs, as JSON data."""
    b = FlowBuilder("base")
    b.add("plan.create", "plan", {"name": "P"})
    b.add("roi.match", "ptv", {"name": "PTV", "aliases": ["PTV_60"]})
    b.add("roi.match", "lung", {"name": "Lung_Both"})
    b.add("roi.ring", "ring", {"name": "Ring", "outward_cm": 2})
    b.add("plan.isocenter", "iso")
    b.add("plan.vmat_arcs", "arcs", {"arcs": [{"name": "A1", "gantry_start_deg": 181, "gantry_stop_deg": 179}]})
    b.add("plan.prescription", "rx", {"dose_cgy": 6000})
    b.add("opt.function", "f_ptv", {"type": "MinDose", "dose_cgy": 5800})
    b.add("opt.function", "f_ring", {"type": "DoseFallOff", "high_dose_cgy": 6000, "low_dose_cgy": 3000,
                                      "tag": "Ring_fo"})
    b.add("loop.begin", "lb", {"max_rounds": 3})
    b.add("opt.run", "run")
    b.add("cond.dvh", "c", {"metric": "volume_at_dose", "dose_cgy": 2000, "comparison": ">", "threshold": 28})
    b.add("cond.round", "late", {"rounds": ">=2"})
    b.add("logic.and", "both")
    b.add("opt.adjust", "adj", {"selector": {"tags": ["Ring_*"]}, "field": "dose", "amount": 0.95},
          active_rounds="2-3")
    b.add("cond.function_value", "fv", {"selector": {"tags": ["*"]}, "aggregate": "all"})
    b.add("loop.end", "le")
    b.add("dose.final", "final")
    b.add("flow.save", "save")
    b.chain("plan", "iso", "arcs", "rx", "f_ptv", "f_ring", "lb", "run", "adj", "le", "final", "save")
    for dst in ("iso", "rx", "f_ptv", "ring"):
        b.wire("ptv.roi", f"{dst}.roi")
    b.wire("ring.roi", "f_ring.roi")
    b.wire("run", "c")
    b.wire("lung.roi", "c.roi")
    b.wire("lb.round", "late.round")
    b.wire("c.result", "both.inputs")
    b.wire("late.result", "both.inputs")
    b.wire("both.result", "adj.when")
    b.wire("adj", "fv")
    b.wire("fv.result", "le.stop")
    return b.build().to_json_dict()


BASE = valid_flow_data()


def check_loadable(data) -> None:
    """Load; if loadable, validate, round-trip, and schedule / run when valid. Only FlowFileError may escape."""
    try:
        flow = flow_from_data(data, "fuzz.json")
    except FlowFileError as exc:
        assert str(exc).startswith("fuzz.json: ")
        assert exc.detail
        event("not loadable")
        return
    analysis = analyze(flow)
    assert all(isinstance(p, Problem) and p.message and p.field for p in analysis.problems)
    assert flow_from_data(parse_json_text(dumps_flow(flow))) == flow
    if not analysis.ok:
        event("loadable, invalid")
        return
    steps = schedule(analysis.graph, analysis.loops)
    scheduled = [n for s in steps for n in ((s.begin, *s.body, s.end) if isinstance(s, LoopZone) else (s,))]
    assert sorted(scheduled) == sorted(n.id for n in flow.nodes)
    backend = RecordingBackend(rois=["PTV", "Lung_Both", "Body"])
    result = Interpreter(flow, backend).run()
    assert result.status in ("completed", "failed", "refused"), result.error
    event(f"valid, run {result.status}")
    if result.status == "failed":
        assert result.error.startswith("node ")


@FUZZ
@given(json_values)
def test_any_json_value_is_a_flow_or_a_flow_file_error(data):
    check_loadable(data)


@FUZZ
@given(documents)
def test_garbage_documents_are_a_flow_or_a_flow_file_error(data):
    check_loadable(data)


@FUZZ
@given(st.lists(clean_nodes, min_size=1, max_size=12), st.lists(clean_edges, max_size=25))
def test_random_graphs_of_real_node_types_validate_without_raising(node_list, edge_list):
    check_loadable({"schema": "planflow/1", "nodes": node_list, "edges": edge_list})


def _mutate(data: dict, draw) -> None:
    """One random change of a flow's JSON data, in place."""
    nodes_, edges_ = data["nodes"], data["edges"]
    op = draw(st.sampled_from(["drop_node", "drop_edge", "dup_node", "rewire", "param", "field", "add_edge",
                               "top", "type", "disable", "rounds", "number"]))
    if op == "drop_node" and nodes_:
        nodes_.pop(draw(st.integers(0, len(nodes_) - 1)))
    elif op == "drop_edge" and edges_:
        edges_.pop(draw(st.integers(0, len(edges_) - 1)))
    elif op == "dup_node" and nodes_:
        nodes_.append(copy.deepcopy(draw(st.sampled_from(nodes_))))
    elif op == "rewire" and edges_:
        edge = draw(st.sampled_from(edges_))
        end = draw(st.sampled_from(["src", "dst"]))
        ids = [n["id"] for n in nodes_] or ["x"]
        edge[end] = [draw(st.sampled_from(ids)), draw(st.sampled_from(PORTS))]
    elif op == "param" and nodes_:
        node = draw(st.sampled_from(nodes_))
        node["params"][draw(st.sampled_from(PARAM_KEYS))] = draw(json_values)
    elif op == "field" and nodes_:
        node = draw(st.sampled_from(nodes_))
        node[draw(st.sampled_from(NODE_FIELDS))] = draw(json_values)
    elif op == "add_edge" and nodes_:
        ids = [n["id"] for n in nodes_]
        edges_.append({"src": [draw(st.sampled_from(ids)), draw(st.sampled_from(PORTS))],
                       "dst": [draw(st.sampled_from(ids)), draw(st.sampled_from(PORTS))]})
    elif op == "type" and nodes_:
        draw(st.sampled_from(nodes_))["type"] = draw(st.sampled_from(TYPE_IDS))
    elif op == "disable" and nodes_:
        node = draw(st.sampled_from(nodes_))
        node["disabled"] = not node.get("disabled", False)
    elif op == "rounds" and nodes_:
        draw(st.sampled_from(nodes_))["active_rounds"] = draw(st.sampled_from(["all", "1", "2-3", ">=2", "1,3"]))
    elif op == "number" and nodes_:
        node = draw(st.sampled_from(nodes_))
        numeric = [k for k, v in node["params"].items() if isinstance(v, (int, float)) and not isinstance(v, bool)]
        if numeric:
            node["params"][draw(st.sampled_from(numeric))] = draw(plausible)
    elif op == "top":
        data[draw(st.sampled_from(["schema", "meta", "nodes", "edges", "notes"]))] = draw(json_values)


@FUZZ
@given(st.data())
def test_mutations_of_a_valid_flow_never_raise(data):
    doc = copy.deepcopy(BASE)
    for _ in range(data.draw(st.integers(1, 4))):
        if not (isinstance(doc.get("nodes"), list) and isinstance(doc.get("edges"), list)
                and all(isinstance(n, dict) and isinstance(n.get("params"), dict) for n in doc["nodes"])
                and all(isinstance(e, dict) for e in doc["edges"])):
            break
        _mutate(doc, data.draw)
    check_loadable(doc)


@FUZZ
@given(st.one_of(st.text(max_size=200), json_values.map(json.dumps)),
       st.lists(st.tuples(st.integers(0, 300), st.sampled_from(["", "{", "}", "[", "]", ",", ":", '"', "NaN",
                                                                "1e999", "\\ud800", '"a":1,', "\x00", "é"])),
                max_size=3))
def test_any_text_parses_or_is_a_flow_file_error(text, edits):
    for position, insert in edits:
        text = text[:position] + insert + text[position:]
    try:
        data = parse_json_text(text, "fuzz.json")
    except FlowFileError as exc:
        assert str(exc).startswith("fuzz.json: ")
        return
    check_loadable(data)


EFFECTS = {"plan": "create_plan", "rx": "set_prescription", "ring": "create_roi_wall", "run": "run_optimization",
           "final": "compute_final_dose", "save": "save"}
BODY = ["run", "c", "late", "both", "adj", "fv"]


@FUZZ
@given(st.sets(st.sampled_from([n["id"] for n in BASE["nodes"]])),
       st.dictionaries(st.sampled_from(BODY), st.sampled_from(["1", "2-3", ">=2", "1,3", "<2"])),
       st.lists(st.floats(0, 100), min_size=1, max_size=4), st.lists(st.floats(0, 1e-3), min_size=1, max_size=4))
def test_switched_off_nodes_and_active_rounds_never_break_a_run(disabled, rounds, v20, values):
    """Either the run completes, or validation refuses it first because a switched-off node gave what a node
    after it needs (an isocenter, beams, a dose...)."""
    doc = copy.deepcopy(BASE)
    for node in doc["nodes"]:
        node["disabled"] = node["id"] in disabled
        node["active_rounds"] = rounds.get(node["id"], "all")
    flow = flow_from_data(doc)
    analysis = analyze(flow)
    if not analysis.ok:
        assert all(p.message.startswith("needs ") for p in analysis.problems), analysis.problems
        assert disabled & {"iso", "arcs", "f_ptv", "f_ring", "run", "ptv"}
        return
    backend = RecordingBackend(rois=["PTV", "Lung_Both"],
                               answers={"volume_at_dose:Lung_Both": v20, "value:Ring_fo": values})
    result = Interpreter(flow, backend).run()
    assert result.status == "completed", result.error
    assert all(result.node_states[n] == "skipped" for n in disabled)
    names = backend.names()
    for node_id, method in EFFECTS.items():
        if node_id in disabled:
            assert method not in names
    if not disabled:
        assert names[:6] == ["create_plan", "create_roi_wall", "set_isocenter", "add_vmat_arcs", "set_prescription",
                             "add_function"]


def test_the_mutation_base_is_valid_and_runs():
    flow = flow_from_data(BASE)
    assert analyze(flow).problems == []
    backend = RecordingBackend(rois=["PTV_60", "Lung_Both"], answers={"volume_at_dose:Lung_Both": 35})
    result = Interpreter(flow, backend).run()
    assert result.status == "completed", result.error
    assert result.rounds == 3
    assert backend.names().count("run_optimization") == 3
