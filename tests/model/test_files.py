"""Flow files: round trips, atomic saves with a backup, and a FlowFileError for every unreadable file."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from planflow_qt.engine.validation import validate
from planflow_qt.model import files
from planflow_qt.model.builder import FlowBuilder
from planflow_qt.model.document import Flow
from planflow_qt.model.errors import FlowFileError
from planflow_qt.model.files import dumps_flow, flow_from_data, load_flow, parse_json_text, read_json, save_flow

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "flows").glob("*.json"))


def sample_flow() -> Flow:
    b = FlowBuilder("Lung « progressive »", description="Dose in cGy; volumes in %", author="Ana Müller")
    b.add("plan.create", "plan", {"name": "Lung", "fractions": 20})
    b.add("roi.match", "ptv", {"name": "PTV", "aliases": ["PTV_60", "ptv 60"]}, title="Cible")
    b.add("plan.prescription", "rx", {"dose_cgy": 6000}, pos=(-12.5, 1e6))
    b.add("opt.run", "run", disabled=True)
    b.chain("plan", "rx", "run")
    b.wire("ptv.roi", "rx.roi")
    b.note("Rounds", "Tighten ✓ then stop", (1.0, 2.0, 300.0, 200.0))
    return b.build()


def test_save_then_load_gives_an_equal_flow(tmp_path):
    flow = sample_flow()
    path = tmp_path / "lung.planflow.json"
    save_flow(flow, path, touch=False)
    loaded = load_flow(path)
    assert loaded == flow
    assert dumps_flow(loaded) == path.read_text(encoding="utf-8")
    assert "Müller" in path.read_text(encoding="utf-8")  # UTF-8, not \u escapes
    assert json.loads(path.read_text(encoding="utf-8"))["schema"] == "planflow/1"


def test_save_updates_modified_unless_told_not_to(tmp_path):
    flow = sample_flow()
    flow.meta.modified = "2000-01-01T00:00:00+00:00"
    save_flow(flow, tmp_path / "a.json", touch=False)
    assert load_flow(tmp_path / "a.json").meta.modified == "2000-01-01T00:00:00+00:00"
    save_flow(flow, tmp_path / "b.json")
    assert load_flow(tmp_path / "b.json").meta.modified > "2000-01-01T00:00:00+00:00"


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_flows_load_round_trip_and_validate(path):
    flow = load_flow(path)
    assert dumps_flow(flow) == path.read_text(encoding="utf-8")
    assert validate(flow) == []


def test_save_keeps_the_previous_file_as_bak(tmp_path):
    path = tmp_path / "flow.json"
    first = sample_flow()
    save_flow(first, path, touch=False)
    first_text = path.read_text(encoding="utf-8")
    second = sample_flow()
    second.meta.name = "Second"
    save_flow(second, path, touch=False)
    assert load_flow(path).meta.name == "Second"
    assert (tmp_path / "flow.json.bak").read_text(encoding="utf-8") == first_text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["flow.json", "flow.json.bak"]


def test_failed_rename_leaves_the_previous_file_and_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "flow.json"
    save_flow(sample_flow(), path, touch=False)
    before = path.read_bytes()

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    changed = sample_flow()
    changed.meta.name = "Never written"
    with pytest.raises(OSError, match="disk full: free some space and save again"):
        save_flow(changed, path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["flow.json"]


def test_save_creates_missing_folders(tmp_path):
    path = tmp_path / "a" / "b" / "flow.json"
    flow = sample_flow()
    save_flow(flow, path, touch=False)
    assert load_flow(path) == flow
    assert not (path.parent / "flow.json.bak").exists()


def test_newer_schema_is_refused_with_what_to_do(tmp_path):
    path = tmp_path / "new.json"
    path.write_text(json.dumps({"schema": "planflow/2", "nodes": [], "edges": []}), encoding="utf-8")
    with pytest.raises(FlowFileError) as info:
        load_flow(path)
    assert str(info.value) == (f"{path}: written by a newer PlanFlow (schema planflow/2; this version reads up to "
                               "planflow/1): update PlanFlow to open it")
    assert info.value.path == str(path)


@pytest.mark.parametrize(("data", "message"), [
    ({"nodes": []}, "no 'schema' key: a PlanFlow file starts with \"schema\": \"planflow/1\""),
    ({"schema": "flowchart/1"}, "schema 'flowchart/1' is not a PlanFlow schema (expected 'planflow/1')"),
    ({"schema": "planflow/1\n"}, "schema 'planflow/1\\n' is not a PlanFlow schema (expected 'planflow/1')"),
    ({"schema": 1}, "schema 1 is not a PlanFlow schema (expected 'planflow/1')"),
    ({"schema": "planflow/0"}, "schema planflow/0 is no longer supported"),
    ([1, 2], "a flow file holds one JSON object with 'schema', 'nodes' and 'edges'"),
    ("planflow/1", "a flow file holds one JSON object with 'schema', 'nodes' and 'edges'"),
    (None, "a flow file holds one JSON object with 'schema', 'nodes' and 'edges'"),
])
def test_documents_that_are_not_flows(data, message):
    with pytest.raises(FlowFileError) as info:
        flow_from_data(data, "f.json")
    assert info.value.detail == message


def test_invalid_document_names_node_and_field():
    data = {"schema": "planflow/1",
            "nodes": [{"id": "ok", "type": "opt.run"}, {"id": "rx", "type": "plan.prescription", "colour": 1},
                      {"id": "bad id", "type": "opt.run"}],
            "edges": [{"src": ["ok"], "dst": ["rx", "plan"]}]}
    with pytest.raises(FlowFileError) as info:
        flow_from_data(data, "f.json")
    lines = info.value.detail.splitlines()
    assert lines[0] == "invalid flow document:"
    assert "  node rx: colour: Extra inputs are not permitted" in lines
    assert any(line.startswith("  node bad id: id: String should match pattern") for line in lines)
    assert "  edges.0.src.1: Field required" in lines


@pytest.mark.parametrize(("text", "message"), [
    ('{"schema": "planflow/1", "schema": "planflow/1"}', "not a valid flow file: duplicate key 'schema'"),
    ('{"schema": "planflow/1", "nodes": [{"id": "a", "id": "b"}]}', "not a valid flow file: duplicate key 'id'"),
    ('{"x": NaN}', "not a valid flow file: NaN is not a number a flow may hold"),
    ('{"x": -Infinity}', "not a valid flow file: -Infinity is not a number a flow may hold"),
    ('{"x": [1e400]}', "not a valid flow file: 1e400 is too large a number for a flow"),
    ("1e999", "not a valid flow file: 1e999 is too large a number for a flow"),
    ('{"schema": "planflow/1",\n "nodes": [,]}', "line 2 column 12: not valid JSON: Expecting value"),
    ("", "line 1 column 1: not valid JSON: Expecting value"),
    ("[" * 65 + "]" * 65, "nested deeper than 64 levels: not a flow file"),
    ("[" * 100_000 + "]" * 100_000, "nested deeper than 64 levels: not a flow file"),
    ('{"nodes": [{"title": "PTV\\ud800"}]}',
     "text 'PTV\\ud800' holds an invalid character (a lone surrogate): fix or remove it"),
    ('{"\\udfff": 1}', "text '\\udfff' holds an invalid character (a lone surrogate): fix or remove it"),
])
def test_strict_json_refusals(text, message):
    with pytest.raises(FlowFileError) as info:
        parse_json_text(text, "f.json")
    assert str(info.value) == f"f.json: {message}"


def test_integer_too_long_to_read():
    with pytest.raises(FlowFileError) as info:
        parse_json_text('{"x": 1' + "0" * 5000 + "}", "f.json")
    assert info.value.detail.startswith("not a valid flow file: Exceeds the limit (4300 digits)")


def test_nesting_up_to_the_limit_is_read():
    data = parse_json_text("[" * 64 + "]" * 64)
    depth = 0
    while isinstance(data, list):
        depth += 1
        data = data[0] if data else None
    assert depth == 64


def test_non_utf8_file(tmp_path):
    path = tmp_path / "latin1.json"
    path.write_bytes('{"schema": "planflow/1", "meta": {"name": "Lunge Müller"}}'.encode("latin-1"))
    with pytest.raises(FlowFileError) as info:
        load_flow(path)
    assert info.value.detail == "not UTF-8 text (byte 50): save the file as UTF-8"


def test_utf8_with_byte_order_mark_is_read(tmp_path):
    path = tmp_path / "notepad.json"
    path.write_bytes(b"\xef\xbb\xbf" + dumps_flow(sample_flow()).encode("utf-8"))
    assert load_flow(path).nodes == sample_flow().nodes


def test_non_object_top_level_file(tmp_path):
    path = tmp_path / "list.json"
    path.write_text("[]", encoding="utf-8")
    with pytest.raises(FlowFileError, match="a flow file holds one JSON object"):
        load_flow(path)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(FlowFileError, match="cannot read: No such file or directory"):
        load_flow(tmp_path / "absent.json")
    with pytest.raises(FlowFileError, match="cannot read: Is a directory"):
        read_json(tmp_path)


def test_file_over_the_size_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(files, "MAX_FILE_BYTES", 2 * 2**20)
    path = tmp_path / "huge.json"
    path.write_text('{"x": "' + "a" * (2 * 2**20) + '"}', encoding="utf-8")
    with pytest.raises(FlowFileError) as info:
        load_flow(path)
    assert info.value.detail == "file larger than 2 MB: not a flow file"
    with pytest.raises(FlowFileError, match="file larger than 2 MB"):
        parse_json_text(path.read_text(encoding="utf-8"))


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_save_keeps_the_permissions_of_the_file_it_replaces(tmp_path):
    from planflow_qt.model.builder import FlowBuilder
    from planflow_qt.model.files import save_flow

    path = tmp_path / "shared.json"
    save_flow(FlowBuilder("shared").build(), path)
    assert path.stat().st_mode & 0o777 == 0o666 & ~_umask(), "a new file gets the user's default permissions"
    path.chmod(0o664)
    save_flow(FlowBuilder("shared again").build(), path)
    assert path.stat().st_mode & 0o777 == 0o664


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
