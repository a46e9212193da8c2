"""The beam settings and DICOM export nodes are built in the editor like every node: palette, panel, summary."""

from __future__ import annotations


def test_beam_settings_and_export_nodes_are_editable(window):
    for text, type_id in (("beam settings", "plan.beam_settings"), ("export dicom", "dose.export_dicom")):
        window.palette.search.setText(text)
        assert window.palette.best_match() == type_id
        window.palette.search.returnPressed.emit()
    settings = next(n.id for n in window.doc.flow.nodes if n.type == "plan.beam_settings")
    window.canvas.select([settings])
    spacing = window.properties.editor("gantry_spacing_deg")
    assert spacing.value() == 4.0
    spacing.spin.setValue(2.0)
    assert window.doc.node(settings).params["gantry_spacing_deg"] == 2.0
    assert window.properties.editor("jaw_motion") is not None


def test_the_arcs_node_offers_avoidance_sectors(window):
    window.palette.search.setText("vmat arcs")
    window.palette.search.returnPressed.emit()
    (arcs,) = window.doc.node_ids()
    window.canvas.select([arcs])
    assert window.properties.editor("avoid_sectors") is not None
