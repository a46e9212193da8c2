"""Fuzzing of legacy files: random and mutated documents never raise anything but FlowFileError, and every flow
that converts is valid, validates without raising and survives a save / load round trip."""

from __future__ import annotations

import copy
import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planflow_qt.engine.validation import validate
from planflow_qt.model.errors import FlowFileError
from planflow_qt.model.files import dumps_flow, flow_from_data
from planflow_qt.model.legacy import convert_legacy, load_any
from planflow_qt.model.legacy.convert import LEGACY_KEYS

FILES = sorted((Path(__file__).parent / "files").glob("*.json"))
TEXTS = [p.read_text(encoding="utf-8") for p in FILES]
MAIN = settings(max_examples=2000, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
SMALL = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

ENTRY_KEYS = ["beam_name", "energy", "gantry_start", "gantry_stop", "rotation", "collimator", "couch", "gantry",
              "snout", "range_shifter", "comp_settings", "roi_name", "possible_roi_name", "order", "boolean_config",
              "roi_a", "roi_b", "operation", "output", "name", "margin_type", "margins", "Superior", "Left", "tag",
              "type", "roi", "description", "weight", "objective_constraint", "is_robust", "restrict_to_beam",
              "selected_beam", "active_round", "criteria", "condition", "method", "convert_dose", "adjustment",
              "max_optimize_rounds", "primary_dose", "num_fractions", "prescription_roi", "poi_name",
              "clinical_goal_template", "matched_rois", "template_roi", "matched_roi", "positioning_uncertainty",
              "isotropic", "density_uncertainty", "tolerance", "max_iterations", "algorithm", "uncer_or_spot"]
WORDS = ["", "nan", "NaN", "1e400", "-1", "0", "2", "4140", "181.0", "1.000e-5", "≥ 1", "‹ 3", "= 0", "> 2", "≤ 2",
         "N/A", "Alway TRUE", "Max Dose", "Min DVH", "Max EUD", "Dose fall-off", "Uniformity Constraint", "Max DaV",
         "Min VaD", "Max Dmean", "Add NEW function", "Adjust OLD Function", "Convert Dose to ROI",
         "Boolean operation", "PTV", "Heart", "Lungs", "Hot", "CW", "CCW", "VMAT", "IMPT", "Constraint", "Objective",
         "Automatic", "Center of ROI", "User Defined POI", "Subtract", "Intersect", "None", "Union", "Expand",
         "Contract", "Dmax (cGy) ≥ 4430", "D2% ≥ 5150 cGy", "D0.5cc ‹ 100 cGy", "V2000 cGy ≥ 15%",
         "V20 cGy = 900cc", "Max DVH 2000 cGy to 20% volume", "Min DVH 1 cGy to 0.1cc volume", "Max Dose 4430 cGy",
         "Max EUD 1500 cGy, Parameter A -150", "Max EUD 1 cGy, Parameter A 0",
         "Dose fall-off [H] 10 cGy [L] 20 cGy, Low dose distance 99 cm", "Uniformity Constraint Rel.std.dev 3 %",
         "(None)", "All beams individually", "Collapsed Cone", "MonteCarlo", "Uncert[%]", "c_PTV_MaxDose_r1_1",
         "Voxelwise worst cases", "x" * 70]

scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 500), st.integers(-(10**30), 10**30),
                    st.floats(), st.text(max_size=12), st.sampled_from(WORDS))
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(st.one_of(st.sampled_from(ENTRY_KEYS), st.text(max_size=6)), inner,
                                            max_size=4)),
    max_leaves=5)
fields = st.dictionaries(st.sampled_from(ENTRY_KEYS), scalars, max_size=3)
entries = st.dictionaries(st.sampled_from(ENTRY_KEYS), st.one_of(scalars, fields), max_size=5)
sections = st.one_of(scalars, st.lists(entries, max_size=2), entries)


@st.composite
def documents(draw) -> dict:
    """A random document with a flow name and a few legacy sections of any shape."""
    doc = {"flow_name": draw(st.one_of(st.text(max_size=80), scalars))}
    for key in draw(st.lists(st.sampled_from(sorted(LEGACY_KEYS - {"flow_name"})), max_size=4, unique=True)):
        doc[key] = draw(sections)
    return doc


def places(value, found=None) -> list[tuple[object, object]]:
    """Every (container, key or index) inside a JSON document."""
    found = [] if found is None else found
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        found.append((value, key))
        places(item, found)
    return found


@st.composite
def mutated(draw) -> dict:
    """A valid legacy file with a few values deleted, replaced, duplicated or emptied."""
    doc = json.loads(draw(st.sampled_from(TEXTS)))
    for _ in range(draw(st.integers(1, 4))):
        spots = places(doc)
        container, key = spots[draw(st.integers(0, len(spots) - 1))]
        action = draw(st.sampled_from(["delete", "replace", "word", "duplicate", "empty"]))
        if action == "delete":
            del container[key]
        elif action == "duplicate" and isinstance(container, list):
            container.insert(key, copy.deepcopy(container[key]))
        elif action == "empty":
            container[key] = draw(st.sampled_from([[], {}, "", None]))
        elif action == "word":
            container[key] = draw(st.sampled_from(WORDS))
        else:
            container[key] = draw(json_values)
    return doc


def not_requirements(problems: list) -> list:
    """The problems other than a plan state a node needs and nothing upstream gives."""
    return [p for p in problems if not p.message.startswith("needs ")]


def check(doc) -> None:
    """Only FlowFileError may come out; a converted flow is valid, but for what the legacy file left empty
    (no beams: the optimization needs them), and round-trips through its file text."""
    try:
        flow, warnings = convert_legacy(doc, "fuzz.json")
    except FlowFileError:
        return
    assert all(isinstance(w, str) and w for w in warnings)
    assert not_requirements(validate(flow)) == []
    assert flow_from_data(json.loads(dumps_flow(flow))) == flow


@MAIN
@given(st.one_of(mutated(), documents()))
def test_legacy_documents_convert_or_raise_flow_file_error(doc):
    check(doc)


@SMALL
@given(st.one_of(json_values, st.lists(entries, max_size=3)))
def test_anything_else_is_refused_cleanly(value):
    check(value)


@SMALL
@given(st.one_of(mutated().map(lambda d: json.dumps(d, ensure_ascii=False)),
                 mutated().map(lambda d: json.dumps(d)[: len(json.dumps(d)) // 2]),
                 st.text(max_size=60)))
def test_load_any_refuses_broken_files_with_flow_file_error(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("fuzz") / "legacy.json"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        flow, _ = load_any(path)
    except FlowFileError:
        return
    assert not_requirements(validate(flow)) == []
