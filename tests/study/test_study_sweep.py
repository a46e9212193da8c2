"""Parameter sweeps of flow A: parsing `--set`, the variant grid, and refusals with clear messages."""

from __future__ import annotations

import json

import pytest

from planflow_qt.model.files import flow_from_data, parse_json_text
from planflow_qt.study.runner import run_study
from planflow_qt.study.spec import StudyError, StudySpec, parse_sweep, variants


def _params(variant, node_id):
    return flow_from_data(parse_json_text(variant.flow_text)).node(node_id).params


def test_parse_sweep_values():
    assert parse_sweep(["tighten.amount=0.96,0.98", "rounds.max_rounds=2,3", "final.algorithm=PencilBeam"]) == {
        "tighten.amount": [0.96, 0.98], "rounds.max_rounds": [2, 3], "final.algorithm": ["PencilBeam"]}
    with pytest.raises(StudyError, match=r"NODE_ID\.PARAM=V1,V2"):
        parse_sweep(["tighten=0.9"])


def test_grid_of_variants_with_nested_parameters(small_flows):
    spec = StudySpec(*small_flows, sweep=parse_sweep(["tighten.amount=0.96,0.98",
                                                      "roi-ring.a.margin.superior_cm=2.5,3"]))
    flows_a, flow_b = variants(spec)
    assert [v.key for v in flows_a] == ["a00", "a01", "a02", "a03"]
    assert flows_a[1].label == "tighten.amount=0.96, roi-ring.a.margin.superior_cm=3"
    assert _params(flows_a[3], "tighten")["amount"] == 0.98
    margin = _params(flows_a[1], "roi-ring")["a"]["margin"]
    assert (margin["superior_cm"], margin["inferior_cm"]) == (3, 2.5)
    assert flow_b.key == "b"


@pytest.mark.parametrize(("item", "message"), [
    ("nosuch.amount=1", "no node 'nosuch'"),
    ("tighten.nosuch.x=1", "no parameter group 'nosuch'"),
    ("tighten.amout=0.9", "unknown parameter"),
])
def test_bad_sweeps_are_refused(small_flows, item, message):
    with pytest.raises(StudyError, match=message):
        variants(StudySpec(*small_flows, sweep=parse_sweep([item])))


def test_sweep_study_has_a_table_per_variant(small_flows, tmp_path):
    spec = StudySpec(*small_flows, grid_mm=10.0, cohort=1, sweep=parse_sweep(["tighten.amount=0.9,0.98"]))
    study = run_study(spec, tmp_path)
    assert set(study.tables) == {"a00", "a01"}
    assert len(list((tmp_path / "results").glob("*.json"))) == 5  # each variant has its matched control
    assert "tighten.amount=0.9 (A)" in (tmp_path / "table.md").read_text(encoding="utf-8")
    assert json.loads((tmp_path / "study.json").read_text(encoding="utf-8"))["sweep"] == {"tighten.amount": [0.9, 0.98]}
