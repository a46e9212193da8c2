"""Legacy Planning-Flow files on the command line: converted by `convert`, and on the fly by `validate` and `run`."""

import json
from pathlib import Path

from planflow_qt.cli import main
from planflow_qt.model.files import load_flow

LEGACY = Path(__file__).parents[1] / "legacy" / "files" / "esophagus_4140.json"


def test_convert_writes_a_valid_flow_and_prints_warnings(tmp_path, capsys):
    out = tmp_path / "eso.json"
    assert main(["convert", str(LEGACY), "-o", str(out)]) == 0
    captured = capsys.readouterr()
    assert "warning: plan: Planning-Flow files do not hold the treatment machine" in captured.err
    flow = load_flow(out)
    assert flow.meta.name == "Esophagus_4140"
    assert {n.type for n in flow.nodes} >= {"roi.match", "plan.create", "plan.vmat_arcs", "loop.begin", "loop.end"}
    assert main(["validate", str(out)]) == 0


def test_convert_refuses_a_native_flow_and_garbage(tmp_path, capsys):
    native = Path(__file__).parents[2] / "flows" / "lung_single_pass.json"
    assert main(["convert", str(native), "-o", str(tmp_path / "x.json")]) == 2
    assert "not a Planning-Flow file" in capsys.readouterr().err
    garbage = tmp_path / "garbage.json"
    garbage.write_text('{"flow_name": 3, "vmat_beam": "nope"', encoding="utf-8")
    assert main(["convert", str(garbage), "-o", str(tmp_path / "y.json")]) == 2
    assert not (tmp_path / "y.json").exists()


def test_validate_and_run_convert_legacy_files_on_the_fly(tmp_path, capsys):
    assert main(["validate", str(LEGACY)]) == 0
    assert "valid (" in capsys.readouterr().out
    assert main(["run", str(LEGACY), "--case", "esophagus", "--grid", "10", "--out", str(tmp_path)]) == 0
    summary = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    assert summary["status"] == "completed" and summary["rounds"] >= 1
