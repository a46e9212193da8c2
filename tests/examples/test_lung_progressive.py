"""The study's claim on the simulated lung patient: progressive optimization beats a single pass.

`lung_progressive.json` must meet every clinical criterion of the study and, against
`lung_single_pass.json` on the same case, give lower lungs Dmean, lungs V2000 and heart Dmean, with
PTV V6000 >= 95 % in both. The comparison is in the report, side by side.
"""

import json
from pathlib import Path

import pytest

from planflow_qt.cli import main

FLOWS = Path(__file__).parents[2] / "flows"
GRID_MM = "7.5"


@pytest.fixture(scope="module")
def lung_runs(tmp_path_factory):
    out = tmp_path_factory.mktemp("lung")
    code = main(["run", str(FLOWS / "lung_progressive.json"), "--case", "lung", "--grid", GRID_MM,
                 "--baseline", str(FLOWS / "lung_single_pass.json"), "--out", str(out)])
    progressive = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    single = json.loads((out / "baseline" / "summary.json").read_text(encoding="utf-8"))
    return code, out, progressive, single


def _goal(summary: dict, roi: str, text_start: str) -> dict:
    found = [g for g in summary["goals"] if g["roi"] == roi and g["text"].startswith(text_start)]
    assert len(found) == 1, f"no single goal {roi} {text_start} in {summary['goals']}"
    return found[0]


def test_progressive_flow_completes_in_rounds(lung_runs):
    code, _, progressive, single = lung_runs
    assert code == 0
    assert progressive["status"] == single["status"] == "completed"
    assert progressive["rounds"] >= 2


def test_progressive_meets_every_clinical_criterion(lung_runs):
    _, _, progressive, _ = lung_runs
    failed = [f"{g['roi']} {g['text']} = {g['value']:.4g}" for g in progressive["goals"] if not g["met"]]
    assert not failed, f"criteria not met: {failed}"
    assert len(progressive["goals"]) == 9
    last_round = [m for label, m in progressive["metrics"].items() if label.startswith("round")][-1]
    assert last_round["PTV Paddick CI"] > 0.8


def test_progressive_beats_single_pass(lung_runs):
    _, _, progressive, single = lung_runs
    for run in (progressive, single):
        assert _goal(run, "PTV", "V6000cGy")["value"] >= 95.0
    assert progressive["rois"]["Lungs"]["mean_cgy"] < single["rois"]["Lungs"]["mean_cgy"]
    assert _goal(progressive, "Lungs", "V2000cGy")["value"] < _goal(single, "Lungs", "V2000cGy")["value"]
    assert progressive["rois"]["Heart"]["mean_cgy"] < single["rois"]["Heart"]["mean_cgy"]


def test_report_shows_both_side_by_side(lung_runs):
    _, out, _, _ = lung_runs
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "Comparison with the baseline" in report
    assert "Lung progressive optimization" in report and "Lung single pass" in report
    assert report.count("data:image/png;base64,") >= 3
