"""Autosave and recovery after a crash, recent files, and the screenshot command."""

from pathlib import Path

from Qt import QtGui

from planflow_qt.cli import main
from planflow_qt.editor.recovery import recovery_path, untitled_recoveries
from planflow_qt.model.files import load_flow, save_flow

FLOWS = Path(__file__).parents[2] / "flows"


def test_autosave_writes_a_recovery_file_that_is_offered_after_a_crash(make_window, tmp_path):
    flow_file = tmp_path / "lung.json"
    save_flow(load_flow(FLOWS / "lung_single_pass.json"), flow_file)
    crashed = make_window()
    assert crashed.open(flow_file)
    node_id = crashed.doc.node_ids()[0]
    crashed.doc.set_node_fields(node_id, title="edited before the crash")
    written = crashed.autosaver.save_now()
    assert written == recovery_path(flow_file, crashed.autosaver.folder) == tmp_path / "lung.autosave.json"
    assert load_flow(written).node(node_id).title == "edited before the crash"
    assert load_flow(flow_file).node(node_id).title == ""

    reopened = make_window()
    assert reopened.open(flow_file)
    assert reopened.prompts.asked[-1] == ("recover", flow_file, written)
    assert reopened.doc.node(node_id).title == "edited before the crash"
    assert reopened.doc.dirty and reopened.doc.path == flow_file
    assert reopened.save()
    assert not written.exists(), "a save removes the recovery file"
    assert load_flow(flow_file).node(node_id).title == "edited before the crash"


def test_a_declined_recovery_is_deleted_and_the_file_opens_as_saved(make_window, tmp_path):
    flow_file = tmp_path / "esophagus.json"
    save_flow(load_flow(FLOWS / "esophagus_vmat.json"), flow_file)
    first = make_window()
    first.open(flow_file)
    first.doc.set_params(first.doc.node_ids()[0], first.doc.flow.nodes[0].params)
    first.doc.delete_nodes([first.doc.node_ids()[-1]])
    written = first.autosaver.save_now()
    second = make_window()
    second.prompts.recover_answer = False
    assert second.open(flow_file)
    assert second.doc.flow == load_flow(flow_file) and not second.doc.dirty
    assert not written.exists()


def test_untitled_flows_autosave_to_the_recovery_folder(make_window):
    window = make_window()
    window.doc.add_node("plan.create", (0, 0))
    written = window.autosaver.save_now()
    assert written.parent == window.autosaver.folder and written.name.startswith("untitled-")
    renamed = written.with_name("untitled-1.autosave.json")
    written.rename(renamed)
    window.autosaver.written = None
    assert untitled_recoveries(window.autosaver.folder) == [renamed]
    other = make_window()
    assert other.recover_untitled(renamed)
    assert [n.type for n in other.doc.flow.nodes] == ["plan.create"] and other.doc.dirty


def test_recent_files_remember_opened_flows(make_window):
    window = make_window()
    window.open(FLOWS / "lung_single_pass.json")
    window.open(FLOWS / "esophagus_vmat.json")
    assert [p.name for p in window.recent.paths()][:2] == ["esophagus_vmat.json", "lung_single_pass.json"]
    window._fill_recent()
    assert window.recent_menu.actions()[0].text().endswith("esophagus_vmat.json")


def test_planflow_edit_screenshot_renders_the_loaded_flow(tmp_path):
    from Qt import QtCore

    for scope_format in (QtCore.QSettings.NativeFormat, QtCore.QSettings.IniFormat):  # keep the user's settings
        QtCore.QSettings.setPath(scope_format, QtCore.QSettings.UserScope, str(tmp_path / "settings"))
    target = tmp_path / "shot.png"
    assert main(["edit", str(FLOWS / "lung_single_pass.json"), "--screenshot", str(target)]) == 0
    image = QtGui.QImage(str(target))
    assert image.width() >= 1200 and image.height() >= 800


def test_a_planning_flow_file_imports_as_a_new_unsaved_flow(window):
    legacy = Path(__file__).parents[1] / "legacy" / "files" / "esophagus_4140.json"
    assert window.import_legacy(legacy)
    assert window.doc.path is None and window.doc.dirty
    assert len(window.doc.flow.nodes) > 10
    assert window.canvas.node_ids() == window.doc.node_ids()
    assert "Imported esophagus_4140.json" in window.statusBar().currentMessage()

