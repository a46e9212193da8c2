"""The report shows the flow as a diagram (SVG drawn without Qt) and its parameters by name and unit."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from planflow_qt.catalog.registry import default_registry
from planflow_qt.engine.validation import analyze
from planflow_qt.model.files import load_flow
from planflow_qt.report.diagram import flow_svg
from planflow_qt.report.html import RunData, render
from planflow_qt.report.parameters import parameters_table

FLOWS = Path(__file__).parents[2] / "flows"


def _lung():
    return load_flow(FLOWS / "lung_progressive.json")


def test_the_diagram_draws_every_node_wire_loop_and_note_in_a_sans_font():
    flow = _lung()
    registry = default_registry()
    svg = flow_svg(flow, registry, analyze(flow, registry).loops)
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert svg.count('rx="5" fill="white"') == len(flow.nodes)
    assert svg.count('<path d="M') - len(flow.nodes) == len(flow.edges)
    assert "⟳ loop: Progressive rounds" in svg and ">Setup<" in svg
    assert "PTV · MinDose 6000 cGy · w 50" in svg
    assert "sans-serif" in svg and "serif'" not in svg


def test_parameters_read_as_names_with_units_not_json():
    flow = _lung()
    table = parameters_table(flow, default_registry())
    assert "Dose (cGy)" in table and "6000 cGy" in table
    assert "dose_cgy" not in table and '{"' not in table
    assert "Gantry start (°)" in table  # the arcs table, by column


def test_the_report_page_carries_the_diagram_and_imports_no_qt():
    flow = _lung()
    run = RunData(flow=flow, backend="simulated", case="lung", status="completed", error="", rounds=0,
                  elapsed_s=1.0, snapshots=[], events=[], rois=[])
    page = render(run)
    assert "The flow: diagram</h2>" in page and "<svg" in page
    assert not re.search(r"<code>\{", page)
    code = ("import sys; from planflow_qt.report.html import render; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'Qt', 'NodeGraphQt')))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                            cwd=Path(__file__).parents[2]).stdout.strip()
    assert loaded == "[]"
