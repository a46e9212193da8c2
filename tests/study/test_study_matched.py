"""The iteration-matched control: flow B given the optimization iterations flow A spent, and the verdict
that counts target costs."""

from __future__ import annotations

import json

from planflow_qt.model.files import load_flow
from planflow_qt.study.matching import matched_flow, optimization_budget
from planflow_qt.study.runner import run_study
from planflow_qt.study.spec import StudySpec
from planflow_qt.study.stats import Comparison
from planflow_qt.study.verdict import study_verdict


def test_matched_flow_gives_the_single_pass_the_whole_budget(small_flows):
    single = load_flow(small_flows[1])
    assert optimization_budget(single) == (1, 12)
    control = matched_flow(single, 24)
    assert control.node("settings").params["iterations"] == 24
    assert "iteration-matched" in control.meta.name and "(24)" in control.meta.description
    assert single.node("settings").params["iterations"] == 12, "the baseline itself is unchanged"
    assert matched_flow(single, 12) is None, "already matched"
    assert matched_flow(single, 5000).node("settings").params["iterations"] == 1000


def test_study_runs_the_control_with_each_patients_budget(small_flows, tmp_path):
    study = run_study(StudySpec(*small_flows, case="lung", grid_mm=10.0, cohort=1, seed=0), tmp_path)
    a = json.loads((tmp_path / "results" / "a-seed0000.json").read_text(encoding="utf-8"))
    m = json.loads((tmp_path / "results" / "ma-seed0000.json").read_text(encoding="utf-8"))
    assert a["optimization_iterations"] == 12 * a["rounds"] == m["optimization_iterations"]
    assert study.matched["a"].label.startswith("Lung single pass (iteration-matched to")
    table = (tmp_path / "table.md").read_text(encoding="utf-8")
    assert table.count("Verdict:") == 2 and "PTV D98 (cGy)" in table


def _row(metric: str, a: float, b: float, p: float | None = 0.01) -> Comparison:
    return Comparison(metric, 10, a, 1.0, b, 1.0, p)


def test_verdict_counts_target_costs():
    rows = [_row("Lungs mean (cGy)", 900, 1000), _row("Heart mean (cGy)", 700, 800),
            _row("PTV D0.03cc (cGy)", 6700, 6650), _row("PTV Paddick CI", 0.9, 0.9, None)]
    text = study_verdict("A", "B", rows)
    assert "target costs: PTV D0.03cc (cGy) +50" in text
    assert text.endswith("Verdict: A spares organs at a cost to the target.")
    assert study_verdict("A", "B", rows[:2]).endswith("Verdict: A is better.")
    insignificant = [_row("Lungs mean (cGy)", 900, 1000, 0.2)]
    assert study_verdict("A", "B", insignificant).endswith("Verdict: no significant advantage.")
