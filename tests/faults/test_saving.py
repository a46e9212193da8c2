"""Saving a flow under hostile conditions: links, read-only files, stray temporaries, devices, bad numbers."""

from __future__ import annotations

import copy
import json
import math
import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planflow_qt.catalog.registry import default_registry
from planflow_qt.engine.validation import analyze
from planflow_qt.model.errors import FileSaveError, FlowFileError
from planflow_qt.model.files import dumps_flow, flow_from_data, load_flow, read_json, save_flow

ROOT = Path(__file__).resolve().parents[2]
LUNG = ROOT / "flows" / "lung_progressive.json"


def _flow(name="first"):
    flow = load_flow(LUNG)
    flow.meta.name = name
    return flow


def test_a_linked_flow_is_written_through_to_its_target(tmp_path):
    shared = tmp_path / "shared" / "lung.json"
    save_flow(_flow("first"), shared, touch=False)
    link = tmp_path / "mine.json"
    link.symlink_to(shared)
    save_flow(_flow("second"), link, touch=False)
    assert link.is_symlink()
    assert load_flow(shared).meta.name == "second"
    assert load_flow(shared.with_name("lung.json.bak")).meta.name == "first"


def test_a_linked_bak_is_replaced_not_written_through(tmp_path):
    precious = tmp_path / "precious.txt"
    precious.write_text("keep me", encoding="utf-8")
    path = tmp_path / "flow.json"
    save_flow(_flow("first"), path, touch=False)
    (tmp_path / "flow.json.bak").symlink_to(precious)
    save_flow(_flow("second"), path, touch=False)
    assert precious.read_text(encoding="utf-8") == "keep me"
    assert not (tmp_path / "flow.json.bak").is_symlink()
    assert load_flow(tmp_path / "flow.json.bak").meta.name == "first"


def test_a_read_only_flow_is_refused_and_kept(tmp_path):
    path = tmp_path / "approved.json"
    save_flow(_flow("approved"), path, touch=False)
    before = path.read_bytes()
    path.chmod(0o444)
    with pytest.raises(FileSaveError) as info:
        save_flow(_flow("changed"), path)
    assert str(info.value) == (f"{path}: the file is read-only: save under another name, or make it writable "
                               "first")
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["approved.json"]


def test_saving_onto_a_folder_is_refused(tmp_path):
    with pytest.raises(FileSaveError, match="is a folder: choose a file name"):
        save_flow(_flow(), tmp_path)


def test_stray_temporaries_are_reused_or_removed(tmp_path):
    path = tmp_path / "flow.json"
    save_flow(_flow("first"), path, touch=False)
    (tmp_path / ".flow.json.tmp").write_bytes(b"x" * 10_000)  # left by a crash mid-save
    (tmp_path / ".flow.json.bak.tmp").write_bytes(b"{")
    (tmp_path / ".flow.json.abcd1234.tmp").write_bytes(b"old version's random name")
    save_flow(_flow("second"), path, touch=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["flow.json", "flow.json.bak"]
    assert load_flow(path).meta.name == "second"


def test_disk_full_without_a_previous_bak_leaves_no_partial_bak(tmp_path, monkeypatch):
    path = tmp_path / "flow.json"
    save_flow(_flow("first"), path, touch=False)
    before = path.read_bytes()
    real_fsync = os.fsync
    calls = []

    def full_on_second(fd):  # the new file is staged, the .bak copy hits the full disk
        calls.append(fd)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", full_on_second)
    with pytest.raises(FileSaveError, match="disk full: free some space and save again"):
        save_flow(_flow("second"), path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["flow.json"]


def test_a_device_is_read_no_further_than_the_size_limit():
    if not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero on this platform")
    with pytest.raises(FlowFileError) as info:
        read_json("/dev/zero")
    assert info.value.detail == "file larger than 20 MB: not a flow file"


@pytest.mark.parametrize("rect", [["nan", "inf", 300, 200], [0, 0, "Infinity", 1], [1e300, 0, 1, 1]])
def test_a_note_rect_must_be_finite(rect):
    data = json.loads(LUNG.read_text(encoding="utf-8"))
    data["notes"] = [{"title": "n", "text": "", "rect": rect}]
    with pytest.raises(FlowFileError, match=r"notes\.0\.rect"):
        flow_from_data(data, "f.json")


@pytest.mark.parametrize("text", ["nan", "inf", "Infinity", "-inf", "NaN", "1e400"])
def test_number_strings_that_are_not_finite_do_not_validate(text):
    data = json.loads(LUNG.read_text(encoding="utf-8"))
    node = next(n for n in data["nodes"] if n["type"] == "opt.adjust")
    node["params"]["amount"] = text
    analysis = analyze(flow_from_data(data, "f.json"))
    assert [(p.node_id, p.field, p.message) for p in analysis.problems] == [
        (node["id"], "params.amount", "Input should be a finite number")]


REGISTRY = default_registry()
BASE = json.loads(LUNG.read_text(encoding="utf-8"))
BASE["nodes"] += [{"id": f"every-{type_id}", "type": type_id, "params": {}} for type_id in REGISTRY.ids()]
PLACES = ([("node", i, key) for i, node in enumerate(BASE["nodes"])  # every parameter of every node type
           for key in {*node["params"], *REGISTRY.get(node["type"]).spec.params.model_fields}]
          + [("note", 0, key) for key in ("title", "text", "rect")])
SPECIAL = st.sampled_from(["nan", "inf", "-inf", "Infinity", "NaN", "1e400", "", "0", "-0", "1e-320"])
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20),
                    st.floats(allow_nan=False, allow_infinity=False), SPECIAL, st.text(max_size=20))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                      st.dictionaries(st.text(max_size=8), inner, max_size=4)),
                      max_leaves=10)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(place=st.sampled_from(PLACES), value=VALUES)
def test_whatever_loads_saves_and_reloads_identical(place, value):
    data = copy.deepcopy(BASE)
    data.setdefault("notes", []).append({"title": "n", "text": "t", "rect": [0, 0, 300, 200]})
    kind, index, key = place
    (data["nodes"][index]["params"] if kind == "node" else data["notes"][index])[key] = value
    try:
        flow = flow_from_data(json.loads(json.dumps(data)), "f.json")
    except FlowFileError:
        return
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "flow.json"
        save_flow(flow, path, touch=False)
        save_flow(flow, path, touch=False)
        again = load_flow(path)
        assert again == flow
        assert dumps_flow(again) == path.read_text(encoding="utf-8")
        assert load_flow(path.with_name("flow.json.bak")) == flow
    analysis = analyze(flow)
    for params in analysis.params.values():
        assert all(math.isfinite(number) for number in _numbers(params.model_dump()))


def _numbers(value):
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (list, tuple)):
        return [n for item in value for n in _numbers(item)]
    return [value] if isinstance(value, float) else []

