"""The node catalog: every type of the design is there, described, and packs can add their own."""

import json
import types
from pathlib import Path

import pytest

from planflow_qt.catalog import registry as registry_module
from planflow_qt.catalog.registry import Registry, default_registry
from planflow_qt.catalog.spec import Category, NodeSpec, NodeType, Port, PortType
from planflow_qt.cli import main
from planflow_qt.model.planning import Strict

DESIGN_IDS = {
    "roi.match", "roi.algebra", "roi.margin", "roi.ring", "roi.from_dose", "plan.create", "plan.current",
    "plan.prescription", "plan.isocenter", "plan.vmat_arcs", "plan.impt_beams", "plan.clinical_goals",
    "plan.robustness", "opt.settings", "opt.function", "opt.function_table", "opt.adjust", "opt.run", "opt.reset",
    "dose.normalize", "dose.final", "loop.begin", "loop.end", "cond.dvh", "cond.function_value", "cond.goal",
    "cond.round", "cond.compare", "logic.and", "logic.or", "logic.not", "flow.wait_user", "flow.save", "flow.record",
} | {"plan.beam_settings", "dose.export_dicom"}
"""The design's catalog, and the nodes added since: beam settings (jaws, arc conversion, protected ROIs) and
DICOM export."""


def test_catalog_has_every_design_type_with_a_planner_doc():
    registry = default_registry()
    assert set(registry.ids()) == DESIGN_IDS
    for node_type in registry:
        doc = node_type.doc()
        assert len(doc) > 60, f"{node_type.spec.type_id} needs a paragraph a planner can read"
        assert node_type.spec.title


def test_planflow_nodes_lists_all_ids(capsys):
    assert main(["nodes"]) == 0
    out = capsys.readouterr().out
    listed = {line.split()[0] for line in out.splitlines() if line.strip()}
    assert listed == DESIGN_IDS


def test_planflow_nodes_json_gives_ports_and_schemas(capsys):
    assert main(["nodes", "--json"]) == 0
    entries = {e["id"]: e for e in json.loads(capsys.readouterr().out)}
    assert set(entries) == DESIGN_IDS
    fn = entries["opt.function"]
    assert [p["name"] for p in fn["inputs"]] == ["plan", "roi", "when"]
    assert {p["name"]: p["type"] for p in fn["outputs"]} == {"plan": "plan", "function": "function"}
    props = fn["params_schema"]["properties"]
    assert "dose_cgy" in props and "weight" in props and "tag" in props
    assert entries["logic.and"]["inputs"][0]["multi"] is True


def test_markdown_reference_matches_committed_docs(capsys):
    assert main(["nodes", "--markdown"]) == 0
    generated = capsys.readouterr().out
    from pathlib import Path

    committed = (Path(__file__).parents[2] / "docs" / "nodes.md").read_text(encoding="utf-8")
    assert generated == committed, "docs/nodes.md is stale: regenerate with `planflow nodes --markdown`"


class _EchoParams(Strict):
    text: str = "hello"


class EchoNode(NodeType):
    """A pack's node: logs its text. Used to show that packs register through entry points."""

    spec = NodeSpec("pack.echo", "Echo", Category.FLOW, _EchoParams, inputs=(Port("plan", PortType.PLAN),),
                    outputs=(Port("plan", PortType.PLAN),))


def test_node_pack_registers_through_entry_point(monkeypatch):
    pack = types.ModuleType("fake_pack")
    pack.EchoNode = EchoNode

    class FakeEntryPoint:
        name, value = "echo", "fake_pack"

        def load(self):
            return pack

    def fake_entry_points(group):
        assert group == "planflow_qt.nodes"
        return [FakeEntryPoint()]

    monkeypatch.setattr(registry_module, "entry_points", fake_entry_points)
    monkeypatch.setattr(registry_module, "_default", None)
    registry = default_registry()
    assert registry.get("pack.echo") is EchoNode
    assert len(registry) == len(DESIGN_IDS) + 1


def test_broken_pack_does_not_break_the_catalog(monkeypatch, caplog):
    class Broken:
        name, value = "broken", "missing_module"

        def load(self):
            raise ImportError("no module named missing_module")

    monkeypatch.setattr(registry_module, "entry_points", lambda group: [Broken()])
    monkeypatch.setattr(registry_module, "_default", None)
    registry = default_registry()
    assert set(registry.ids()) == DESIGN_IDS
    assert "could not be loaded" in caplog.text


def test_duplicate_type_id_is_refused():
    registry = Registry()
    registry.register(EchoNode)
    clone = type("EchoClone", (EchoNode,), {"spec": EchoNode.spec})
    with pytest.raises(ValueError, match="registered twice"):
        registry.register(clone)


def test_legacy_id_finds_renamed_type():
    registry = Registry()
    renamed = type("Renamed", (EchoNode,), {"spec": NodeSpec("pack.echo2", "Echo", Category.FLOW, _EchoParams,
                                                               legacy_ids=("pack.old_echo",))})
    registry.register(renamed)
    assert registry.get("pack.old_echo") is renamed
    assert registry.suggest("pack.ecko2") == "pack.echo2"


def test_node_types_summarize_their_own_parameters():
    from planflow_qt.engine.validation import analyze
    from planflow_qt.model.files import load_flow

    registry = default_registry()
    summarized = set()
    for path in sorted((Path(__file__).parents[2] / "flows").glob("*.json")):
        analysis = analyze(load_flow(path))
        for node in analysis.flow.nodes:
            text = registry.get(node.type).summary(analysis.params[node.id])
            assert isinstance(text, str)
            if text:
                summarized.add(node.type)
    assert {"roi.ring", "plan.prescription", "opt.function", "opt.adjust", "cond.dvh"} <= summarized
    assert "dose.normalize" not in summarized, "a node without parameters says nothing"
