"""The beam settings and DICOM export nodes are built in the editor like every node, by typing: palette search,
panel fields, summary on the canvas."""

from __future__ import annotations


def _add(window, qtbot, text: str) -> str:
    from Qt import QtCore

    search = window.palette.search
    search.clear()
    qtbot.keyClicks(search, text)
    qtbot.keyClick(search, QtCore.Qt.Key_Return)
    return window.canvas.selected_ids()[0]


def test_beam_settings_and_export_nodes_are_added_and_edited_by_typing(window, qtbot):
    from Qt import QtCore

    settings = _add(window, qtbot, "beam settings")
    export = _add(window, qtbot, "export dicom")
    assert (window.doc.node(settings).type, window.doc.node(export).type) == ("plan.beam_settings",
                                                                              "dose.export_dicom")
    window.canvas.select([settings])
    spin = window.properties.editor("gantry_spacing_deg").spin
    assert spin.value() == 4.0
    spin.setFocus()
    qtbot.keyClick(spin, QtCore.Qt.Key_A, QtCore.Qt.ControlModifier)
    qtbot.keyClicks(spin, "2")
    qtbot.keyClick(spin, QtCore.Qt.Key_Return)
    assert window.doc.node(settings).params["gantry_spacing_deg"] == 2.0
    assert "2°" in window.canvas.node_view(settings).view.summary
    assert window.properties.editor("jaw_motion") is not None


def test_the_arcs_node_offers_avoidance_sectors(window, qtbot):
    arcs = _add(window, qtbot, "vmat arcs")
    window.canvas.select([arcs])
    assert window.properties.editor("avoid_sectors") is not None
