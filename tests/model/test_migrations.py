"""Schema migrations: older files are brought to the current version step by step on load."""

from __future__ import annotations

import json

import pytest

from planflow_qt.model import migrations
from planflow_qt.model.errors import FlowFileError
from planflow_qt.model.files import flow_from_data, load_flow


def v0_to_v1(data):
    """Version 0 called the wires `links` and a node's type `kind`."""
    data["edges"] = data.pop("links")
    data["nodes"] = [{("type" if k == "kind" else k): v for k, v in node.items()} for node in data["nodes"]]
    return data


V0 = {"schema": "planflow/0",
      "nodes": [{"id": "plan", "kind": "plan.create"}, {"id": "run", "kind": "opt.run"}],
      "links": [{"src": ["plan", "plan"], "dst": ["run", "plan"]}]}


def test_v0_file_is_migrated_on_load(tmp_path, monkeypatch):
    monkeypatch.setattr(migrations, "MIGRATIONS", {0: v0_to_v1})
    path = tmp_path / "old.json"
    path.write_text(json.dumps(V0), encoding="utf-8")

    flow = load_flow(path)

    assert flow.schema_ == "planflow/1"
    assert [(n.id, n.type) for n in flow.nodes] == [("plan", "plan.create"), ("run", "opt.run")]
    assert [(e.src, e.dst) for e in flow.edges] == [(("plan", "plan"), ("run", "plan"))]


def test_migrations_chain_up_to_the_current_version(monkeypatch):
    steps = []

    def v1_to_v2(data):
        steps.append(("1->2", data["schema"]))
        data["meta"] = {"name": "migrated twice"}
        return data

    def tracked_v0_to_v1(data):
        steps.append(("0->1", data["schema"]))
        return v0_to_v1(data)

    monkeypatch.setattr(migrations, "MIGRATIONS", {0: tracked_v0_to_v1, 1: v1_to_v2})
    monkeypatch.setattr(migrations, "CURRENT_VERSION", 2)
    original = json.loads(json.dumps(V0))

    flow = flow_from_data(original, "old.json")

    assert steps == [("0->1", "planflow/0"), ("1->2", "planflow/1")]
    assert flow.schema_ == "planflow/2"
    assert flow.meta.name == "migrated twice"
    assert original == V0  # the caller's data is not changed


def test_missing_step_is_reported(monkeypatch):
    monkeypatch.setattr(migrations, "MIGRATIONS", {0: v0_to_v1})
    monkeypatch.setattr(migrations, "CURRENT_VERSION", 2)
    with pytest.raises(FlowFileError) as info:
        flow_from_data(V0, "old.json")
    assert str(info.value) == "old.json: schema planflow/1 is no longer supported"


def test_current_version_file_is_not_touched_by_migrations(monkeypatch):
    def explode(data):
        raise AssertionError("a current file must not be migrated")

    monkeypatch.setattr(migrations, "MIGRATIONS", {0: explode})
    flow = flow_from_data({"schema": "planflow/1", "nodes": [{"id": "run", "type": "opt.run"}]})
    assert [n.id for n in flow.nodes] == ["run"]


def test_schema_version_reads_the_number():
    assert migrations.schema_version({"schema": "planflow/12"}, "f") == 12
    with pytest.raises(FlowFileError, match="is not a PlanFlow schema"):
        migrations.schema_version({"schema": "planflow/١"}, "f")
    with pytest.raises(FlowFileError, match="is not a PlanFlow schema"):
        migrations.schema_version({"schema": "planflow/12345"}, "f")
