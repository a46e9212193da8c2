"""Opening, editing, undoing, saving and reloading flows in the editor window."""

from pathlib import Path

import pytest

from planflow_qt.editor.canvas import wire_of
from planflow_qt.model.files import load_flow

FLOWS = Path(__file__).parents[2] / "flows"


def drawn_wires(window) -> set:
    """The wires the canvas draws, as ((src, port), (dst, port))."""
    wires = set()
    for node_id in window.canvas.node_ids():
        for port in window.canvas.node_view(node_id).output_ports():
            for pipe in port.view.connected_pipes:
                wires.add(((node_id, port.name()), (pipe.input_port.node.flow_id, pipe.input_port.name)))
    return wires


def document_wires(window) -> set:
    return {wire_of(e) for e in window.doc.flow.edges}


@pytest.mark.parametrize("name", sorted(p.name for p in FLOWS.glob("*.json")))
def test_every_example_flow_opens_drawn_in_full_and_valid(window, name):
    assert window.open(FLOWS / name)
    flow = load_flow(FLOWS / name)
    assert window.doc.flow == flow
    assert window.canvas.node_ids() == [n.id for n in flow.nodes]
    assert drawn_wires(window) == document_wires(window)
    assert len(window.canvas.note_items()) == len(flow.notes)
    analysis = window.validator.run_now()
    assert analysis.problems == []
    assert len(window.canvas.zone_items()) == len(analysis.loops)
    assert window.problems.row_count() == 0
    assert not window.doc.dirty
    assert name in window.windowTitle()


def test_editing_a_parameter_in_the_panel_and_undoing_it(lung, qtbot):
    lung.canvas.select(["rx"])
    editor = lung.properties.editor("dose_cgy")
    assert editor.value() == 6000
    editor.spin.setValue(6600)
    node = lung.doc.node("rx")
    assert node.params["dose_cgy"] == 6600
    assert "6600 cGy" in lung.canvas.node_view("rx").view.summary
    assert lung.doc.dirty and lung.isWindowModified()
    lung.doc.undo_stack.undo()
    assert lung.doc.node("rx").params["dose_cgy"] == 6000
    assert lung.properties.editor("dose_cgy").value() == 6000
    assert "6000 cGy" in lung.canvas.node_view("rx").view.summary
    assert not lung.doc.dirty
    lung.doc.undo_stack.redo()
    assert lung.doc.node("rx").params["dose_cgy"] == 6600


def test_successive_steps_of_one_field_are_one_undo_step(lung):
    lung.canvas.select(["rounds"])
    spin = lung.properties.editor("max_rounds").spin
    for value in (8, 9, 10):
        spin.setValue(value)
    assert lung.doc.node("rounds").params["max_rounds"] == 10
    assert lung.doc.undo_stack.count() == 1
    lung.doc.undo_stack.undo()
    assert lung.doc.node("rounds").params["max_rounds"] == 7


def test_invalid_input_is_refused_at_once_with_the_reason(lung):
    lung.canvas.select(["plan"])
    editor = lung.properties.editor("name")
    editor.line.setText("")
    editor.line.editingFinished.emit()
    assert lung.doc.node("plan").params["name"] == "Lung VMAT"
    assert editor.value() == "Lung VMAT"
    error = lung.properties._errors["name"]
    assert not error.isHidden() and "at least 1 character" in error.text()
    assert "at least 1 character" in lung.statusBar().currentMessage()
    assert lung.doc.undo_stack.count() == 0
    reason = lung.doc.set_params("rx", {"dose_cgy": -5})
    assert reason and "greater than 0" in reason
    assert lung.doc.node("rx").params["dose_cgy"] == 6000


def test_node_fields_title_disabled_and_active_rounds(lung):
    assert lung.doc.set_node_fields("reset", active_rounds="every other") is not None
    assert lung.doc.node("reset").active_rounds == "all"
    lung.canvas.select(["fn03"])
    lung.act_disable.trigger()
    assert lung.doc.node("fn03").disabled
    assert lung.canvas.node_view("fn03").view.disabled
    lung.doc.set_node_fields("fn03", title="Cord max")
    assert lung.canvas.node_view("fn03").view.name == "Cord max"
    lung.doc.undo_stack.undo()
    lung.doc.undo_stack.undo()
    assert not lung.doc.node("fn03").disabled and lung.doc.node("fn03").title == ""


def test_save_then_reload_gives_an_identical_document(lung, make_window, tmp_path):
    lung.doc.move_nodes({"optimize": ((600.0, 1000.0), (640.0, 1010.0))})
    lung.doc.set_params("rx", {**lung.doc.node("rx").params, "dose_cgy": 6200.0})
    target = tmp_path / "saved" / "lung copy.json"
    lung.prompts.next_path = target
    opened = lung.doc.flow.meta.modified
    assert lung.save_as()
    assert not lung.doc.dirty and lung.doc.path == target
    assert lung.doc.flow.meta.modified == opened, "saving does not change the open flow"
    reloaded = load_flow(target)
    assert reloaded.meta.modified > opened
    assert reloaded.model_copy(update={"meta": lung.doc.flow.meta}) == lung.doc.flow
    other = make_window()
    assert other.open(target)
    assert other.doc.flow.to_json_dict() == reloaded.to_json_dict()
    assert drawn_wires(other) == drawn_wires(lung)
    assert str(target.resolve()) in [str(p) for p in other.recent.paths()]


def test_saving_an_unchanged_flow_changes_only_its_modified_time(window, tmp_path):
    assert window.open(FLOWS / "esophagus_vmat.json")
    window.prompts.next_path = tmp_path / "esophagus.json"
    assert window.save_as()
    saved, original = load_flow(tmp_path / "esophagus.json").to_json_dict(), load_flow(
        FLOWS / "esophagus_vmat.json").to_json_dict()
    saved["meta"].pop("modified"), original["meta"].pop("modified")
    assert saved == original


def test_deleting_and_undoing_restores_the_node_and_its_edges(lung):
    before = lung.doc.flow.to_json_dict()
    wires_before = drawn_wires(lung)
    touching = [e for e in lung.doc.flow.edges if "optimize" in (e.src[0], e.dst[0])]
    assert len(touching) == 2
    lung.canvas.select(["optimize", "fn07"])
    lung.act_delete.trigger()
    assert "optimize" not in lung.doc.node_ids() and "optimize" not in lung.canvas.node_ids()
    assert not any("optimize" in (e.src[0], e.dst[0]) for e in lung.doc.flow.edges)
    assert drawn_wires(lung) == document_wires(lung)
    lung.doc.undo_stack.undo()
    assert lung.doc.flow.to_json_dict() == before
    assert drawn_wires(lung) == wires_before
    lung.doc.undo_stack.redo()
    assert drawn_wires(lung) == document_wires(lung)


def test_every_kind_of_edit_undoes_back_to_the_original(lung):
    from planflow_qt.model.document import Note

    original = lung.doc.flow.to_json_dict()
    doc = lung.doc
    new_id = doc.add_node("roi.ring", (100.0, 1500.0))
    doc.connect(("roi-ptv", "roi"), (new_id, "roi"))
    doc.disconnect(("optimize", "plan"), ("normalize", "plan"))
    doc.move_nodes({"record": ((1200.0, 1000.0), (1250.0, 990.0))})
    doc.set_params("rounds", {"max_rounds": 3})
    doc.toggle_disabled(["reset", "after3"])
    doc.add_note(Note(title="Check", text="ask a physicist", rect=(0, 0, 200, 100)))
    doc.edit_note(0, doc.flow.notes[0].model_copy(update={"rect": (10.0, -50.0, 2500.0, 940.0)}))
    lung.canvas.select(["fn01", "fn02"])
    lung.align("top")
    lung.auto_layout()
    lung.canvas.select(["fn01"])
    lung.duplicate()
    assert doc.undo_stack.count() == 11
    assert drawn_wires(lung) == document_wires(lung)
    while doc.undo_stack.canUndo():
        doc.undo_stack.undo()
    assert doc.flow.to_json_dict() == original
    assert drawn_wires(lung) == document_wires(lung)
    assert [item.note for item in lung.canvas.note_items()] == doc.flow.notes


def test_the_problems_list_follows_edits(window, qtbot):
    assert window.open(FLOWS / "lung_single_pass.json")
    assert window.problems.row_count() == 0
    edge = next(e for e in window.doc.flow.edges if e.dst[1] == "roi" and window.doc.node(e.dst[0]).type
                == "plan.prescription")
    rx = edge.dst[0]
    window.doc.disconnect(edge.src, edge.dst)
    qtbot.waitUntil(lambda: window.problems.row_count() == 1, timeout=3000)
    item = window.problems.table.item(0, 3)
    assert "required input 'roi'" in item.text()
    assert window.canvas.node_view(rx).view.badge.isVisible()
    assert "required input" in window.canvas.node_view(rx).view.badge.toolTip()
    window.canvas.select([])
    window.problems.table.cellClicked.emit(0, 3)
    assert window.canvas.selected_ids() == [rx]
    assert window.properties.node_id == rx
    assert not window.properties._problem_box.isHidden()
    window.doc.undo_stack.undo()
    qtbot.waitUntil(lambda: window.problems.row_count() == 0, timeout=3000)
    assert not window.canvas.node_view(rx).view.badge.isVisible()


def test_unsaved_changes_are_asked_about_before_closing(lung):
    lung.doc.set_params("rounds", {"max_rounds": 4})
    lung.prompts.save_answer = "cancel"
    assert not lung.close()
    assert lung.prompts.asked[-1][0] == "save_changes"
    lung.prompts.save_answer = "discard"
    assert lung.close()


def test_editing_the_flow_name_and_status_is_undoable(window):
    window.doc.set_meta(name="Lung boost")
    window.doc.set_meta(name="Lung boost 2")
    window.doc.set_meta(status="review")
    assert (window.doc.flow.meta.name, window.doc.flow.meta.status) == ("Lung boost 2", "review")
    assert window.doc.dirty
    window.doc.undo_stack.undo()
    assert window.doc.flow.meta.status == "draft"
    window.doc.undo_stack.undo()
    assert window.doc.flow.meta.name == "Untitled flow", "successive edits of the name are one step"
    assert not window.doc.dirty
    window.doc.undo_stack.redo()
    assert window.doc.flow.meta.name == "Lung boost 2"
