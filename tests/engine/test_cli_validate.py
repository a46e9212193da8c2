"""`planflow validate`: exit codes and `FILE: node ID (TYPE): FIELD: message` lines."""

from __future__ import annotations

from planflow_qt.cli import main
from planflow_qt.model.builder import FlowBuilder
from planflow_qt.model.files import save_flow


def write_flow(path, dose_cgy=6000, extra_source=False):
    b = FlowBuilder("cli")
    b.add("plan.create", "plan")
    b.add("roi.match", "ptv", {"name": "PTV"})
    b.add("plan.prescription", "rx", {"dose_cgy": dose_cgy})
    b.chain("plan", "rx")
    b.wire("ptv.roi", "rx.roi")
    if extra_source:
        b.add("plan.current", "current")
    save_flow(b.build(), path)
    return path


def test_valid_flow_exits_0(tmp_path, capsys):
    path = write_flow(tmp_path / "ok.planflow.json")
    assert main(["validate", str(path)]) == 0
    out, err = capsys.readouterr()
    assert out == f"{path}: valid (3 nodes, 2 wires)\n"
    assert err == ""


def test_invalid_flow_exits_1_with_one_line_per_problem(tmp_path, capsys):
    path = write_flow(tmp_path / "bad.json", dose_cgy=-1, extra_source=True)
    assert main(["validate", str(path)]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines() == [
        f"{path}: node rx (plan.prescription): params.dose_cgy: Input should be greater than 0",
        f"{path}: node current (plan.current): type: more than one plan source (plan, current): keep one",
    ]


def test_unreadable_and_not_json_files_exit_2(tmp_path, capsys):
    missing = tmp_path / "missing.json"
    assert main(["validate", str(missing)]) == 2
    assert capsys.readouterr().err.startswith(f"{missing}: cannot read: ")

    garbage = tmp_path / "garbage.json"
    garbage.write_text("{\"schema\": \"planflow/1\",\n  nodes: []}", encoding="utf-8")
    assert main(["validate", str(garbage)]) == 2
    assert capsys.readouterr().err == (
        f"{garbage}: line 2 column 3: not valid JSON: Expecting property name enclosed in double quotes\n")


def test_worst_exit_code_of_several_files_wins(tmp_path, capsys):
    ok = write_flow(tmp_path / "ok.json")
    bad = write_flow(tmp_path / "bad.json", dose_cgy=-1)
    not_json = tmp_path / "text.json"
    not_json.write_text("hello", encoding="utf-8")
    assert main(["validate", str(ok), str(bad)]) == 1
    assert main(["validate", str(bad), str(not_json), str(ok)]) == 2
    out, err = capsys.readouterr()
    assert out.count("valid (3 nodes") == 2
    assert f"{not_json}: line 1 column 1: not valid JSON" in err
