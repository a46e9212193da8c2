"""A node from an installed pack is a node like the others in the editor: in the palette under its
category, added by typing, summarized on the canvas, and its run warnings on its badge."""

from __future__ import annotations

import importlib.util
from pathlib import Path

SPEC = importlib.util.spec_from_file_location(
    "coldspot_flows", Path(__file__).parents[1] / "packs" / "test_coldspot_pack.py")


def test_a_pack_node_in_the_palette_on_the_canvas_and_in_a_run(coldspot_pack, window, qtbot, tmp_path):
    from Qt import QtCore

    from planflow_qt.model.files import save_flow

    palette = window.palette
    groups = {palette.tree.topLevelItem(i).text(0): palette.tree.topLevelItem(i)
              for i in range(palette.tree.topLevelItemCount())}
    rois = groups["ROIs"]
    assert "Cold spot" in [rois.child(j).text(0) for j in range(rois.childCount())]
    search = palette.search
    qtbot.keyClicks(search, "cold spot")
    qtbot.keyClick(search, QtCore.Qt.Key_Return)
    [added] = window.canvas.selected_ids()
    assert window.doc.node(added).type == "coldspot.roi"
    assert window.canvas.node_view(added).view.summary == "PTV_cold = target below 5700 cGy"

    flows = importlib.util.module_from_spec(SPEC)
    SPEC.loader.exec_module(flows)
    path = tmp_path / "coldspot.json"
    save_flow(flows.coldspot_flow(level_cgy=6500, warn_above_cc=0).build(), path)
    assert window.open(path)
    panel = window.run_panel
    panel.choose_simulated("lung", 10.0)
    qtbot.mouseClick(panel.run_button, QtCore.Qt.LeftButton)
    qtbot.waitUntil(lambda: not panel.running, timeout=120_000)
    assert panel.outcome.result.status == "completed"
    badge = window.canvas.node_view("cold").view.badge
    assert badge.isVisible() and not badge.error
    assert "cc of PTV receive less than 6500 cGy" in badge.toolTip()
