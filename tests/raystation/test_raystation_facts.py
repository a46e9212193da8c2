"""The committed facts table is what the independent RayStation 2025 stubs say: derived again from them where
they are at hand, and spot-checked against lines of the stubs (`beam_set.pyi`, `plan.pyi`, `roi.pyi`)."""

from __future__ import annotations

import json

import pytest

from planflow_qt.backends.raystation.double.facts import FACTS_FILE, load_facts

tools = pytest.importorskip("tools.raystation_facts", reason="run from a checkout")


def test_the_committed_table_is_the_stubs_derived_again():
    if not (tools.DEFAULT_STUBS / "raystation" / "v2025").is_dir():
        pytest.skip(f"the stubs are not at {tools.DEFAULT_STUBS}")
    assert tools.derive(tools.DEFAULT_STUBS) == json.loads(FACTS_FILE.read_text(encoding="utf-8"))


def test_facts_read_as_the_stubs_write_them():
    facts = load_facts()
    compute = facts.member("TreatmentSetupIncludingRadiationSet", "ComputeDose")
    assert [p.name for p in compute.parameters] == ["RunEntryValidation"]
    auto_scale = facts.member("PlanningPhase", "AutoScaleToPrescription")
    assert auto_scale.kind == "property" and not auto_scale.setter
    assert facts.member("PlanningPhase", "EditOptimizationFunction") is None
    assert facts.member("RoiGeometry", "GetCenterOfRoi").annotation == "Tuple[float, ...]"
    beam = facts.member("TreatmentSetupIncludingRadiationSet", "CreatePBSIonBeam")
    assert beam.parameter("SpotTuneId") is None and beam.parameter("SnoutId").optional
