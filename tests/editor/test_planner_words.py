"""What the planner reads: node and field names instead of ids, objective summaries that name their ROI,
tab-search menus by category, every import warning in the problems list."""

from __future__ import annotations

from Qt import QtWidgets


def test_objective_summaries_lead_with_their_wired_roi(lung):
    summary = lung.canvas.node_view("fn01").view.summary
    assert summary.startswith("PTV · MinDose 6000 cGy · w ")
    rois = {lung.canvas.node_view(f"fn{n:02d}").view.summary.split(" · ")[0] for n in range(1, 20)}
    assert {"PTV", "CTV", "Lungs", "Body"} <= rois
    lung.doc.set_params("roi-ptv", {**lung.doc.node("roi-ptv").params, "name": "PTV_60"}, field="name")
    lung.validator.run_now()
    assert lung.canvas.node_view("fn01").view.summary.startswith("PTV_60 · ")


def test_problems_name_nodes_types_and_fields_as_the_planner_does(window):
    node_id = window.doc.add_node("opt.function", (0, 0))
    window.validator.run_now()
    table = window.problems.table
    rows = [[table.item(r, c).text() for c in range(4)] for r in range(table.rowCount())]
    texts = " ".join(" ".join(row) for row in rows)
    assert node_id not in texts and "opt.function" not in texts and "params." not in texts
    assert ["Objective", "Objective", "Type"] in [row[:3] for row in rows]


def test_tab_search_groups_node_types_by_their_palette_category(window):
    entries = window.canvas.search_entries()
    menus = {value[0].split(".")[0] for value in entries.values()}
    assert menus == {t.spec.category.value for t in window.registry}
    assert "DVH condition" in entries


def test_the_panel_names_fields_without_internal_names(window):
    node_id = window.doc.add_node("roi.ring", (0, 0))
    window.canvas.select([node_id])
    texts = " ".join(label.text() for label in window.properties.findChildren(QtWidgets.QLabel))
    assert "inward_cm" not in texts and "roi.ring" not in texts and node_id not in texts
    assert "Outward (cm)" in texts


def test_every_warning_of_an_import_is_listed_in_problems(window):
    from pathlib import Path

    from planflow_qt.model.legacy.convert import load_any

    legacy = Path(__file__).parents[1] / "legacy" / "files" / "quirks.json"
    _flow, warnings = load_any(legacy)
    assert window.import_legacy(legacy)
    table = window.problems.table
    listed = [table.item(r, 3).text() for r in range(table.rowCount()) if table.item(r, 2).text() == "import"]
    assert listed == warnings and len(listed) > 1
    window.new_flow()
    assert window.problems.table.rowCount() == 0
