"""`planflow study` arguments, output and exit codes."""

from __future__ import annotations

import argparse

from planflow_qt.study.cli import EXIT_INVALID, EXIT_OK, add_arguments, run_command


def _run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="planflow study")
    add_arguments(parser)
    return run_command(parser.parse_args(argv))


def test_study_prints_the_table_and_paths(small_flows, tmp_path, capsys):
    flow_a, flow_b = small_flows
    code = _run([str(flow_a), str(flow_b), "--cohort", "1", "--grid", "10", "--out", str(tmp_path), "--quiet"])
    out = capsys.readouterr().out
    assert code == EXIT_OK
    assert "| Lungs Dmean <= 1250 cGy |" in out and "n/a: 1 pair(s)" in out
    assert "3 result(s) computed, 0 reused, 0 failed" in out  # A, B and B's iteration-matched control
    assert "(iteration-matched to " in out and out.count("Verdict:") == 2
    assert str((tmp_path / "study.html").resolve()) in out


def test_bad_sweep_and_cohort_are_refused(small_flows, tmp_path, capsys):
    flow_a, flow_b = small_flows
    assert _run([str(flow_a), str(flow_b), "--set", "tighten=1", "--out", str(tmp_path)]) == EXIT_INVALID
    assert "NODE_ID.PARAM=V1,V2" in capsys.readouterr().err
    assert _run([str(flow_a), str(flow_b), "--cohort", "0", "--out", str(tmp_path)]) == EXIT_INVALID
    assert not (tmp_path / "study.json").exists()
