"""Gestures on the canvas: typed wires, moves, the palette and tab search, clipboard, export, shortcuts."""

import warnings
from pathlib import Path

import pytest
from Qt import QtCore, QtGui, QtWidgets

from planflow_qt.editor.canvas import NODE_MIME, type_conflict

FLOWS = Path(__file__).parents[2] / "flows"


def port_item(window, node_id, name, output):
    view = window.canvas.node_view(node_id)
    return (view.outputs() if output else view.inputs())[name].view


def test_an_illegal_connection_is_refused_with_the_reason(lung):
    edges = list(lung.doc.flow.edges)
    reason = lung.doc.connect(("roi-ptv", "roi"), ("optimize", "plan"))
    assert reason == "cannot connect roi output 'roi' to plan input 'plan': types differ"
    assert lung.doc.flow.edges == edges
    assert lung.statusBar().currentMessage() == reason
    assert lung.doc.undo_stack.count() == 0


def test_the_viewer_refuses_a_dragged_wire_between_different_types(lung):
    roi_out = port_item(lung, "roi-ptv", "roi", output=True)
    plan_in = port_item(lung, "optimize", "plan", output=False)
    plan_out = port_item(lung, "reset", "plan", output=True)
    assert "types differ" in type_conflict(roi_out, plan_in)
    assert type_conflict(plan_out, plan_in) is None
    viewer = lung.canvas.viewer()
    assert viewer._validate_reject_connection(roi_out, plan_in)
    assert not viewer._validate_reject_connection(plan_out, plan_in)
    edges = list(lung.doc.flow.edges)
    viewer.connection_changed.emit([], [(roi_out, plan_in)])
    assert lung.doc.flow.edges == edges
    assert "types differ" in lung.statusBar().currentMessage()


def test_a_dragged_wire_of_equal_types_is_one_undoable_edit(lung):
    before = lung.doc.flow.to_json_dict()
    plan_out = port_item(lung, "optimize", "plan", output=True)
    old_in = port_item(lung, "normalize", "plan", output=False)
    new_in = port_item(lung, "record", "plan", output=False)
    old_wire = (port_item(lung, "normalize", "plan", output=True), new_in)
    viewer = lung.canvas.viewer()
    viewer.connection_changed.emit([(plan_out, old_in), old_wire], [(plan_out, new_in)])
    wires = {(tuple(e.src), tuple(e.dst)) for e in lung.doc.flow.edges}
    assert (("optimize", "plan"), ("record", "plan")) in wires
    assert (("optimize", "plan"), ("normalize", "plan")) not in wires
    assert lung.doc.undo_stack.count() == 1
    lung.doc.undo_stack.undo()
    assert lung.doc.flow.to_json_dict() == before


def test_moving_nodes_on_the_canvas_is_recorded_and_undone(lung):
    item = lung.canvas.node_view("optimize").view
    item.xy_pos = [700.0, 1040.0]
    lung.canvas.viewer().moved_nodes.emit({item: [600.0, 1000.0]})
    assert lung.doc.node("optimize").pos == (700.0, 1040.0)
    lung.doc.undo_stack.undo()
    assert lung.doc.node("optimize").pos == (600.0, 1000.0)
    assert item.xy_pos == [600.0, 1000.0]


def test_loop_zone_frames_its_nodes_and_follows_them(lung):
    zone = lung.canvas.zone_items()[0]
    assert zone.title == "Progressive rounds"
    item = lung.canvas.node_view("tighten").view
    assert zone.boundingRect().contains(item.sceneBoundingRect())
    lung.doc.move_nodes({"tighten": ((1500.0, 1000.0), (1500.0, 1600.0))})
    assert zone.boundingRect().contains(item.sceneBoundingRect())


def test_palette_search_and_activation_add_a_node(window):
    window.palette.search.setText("ring")
    assert "roi.ring" in window.palette.visible_types()
    assert window.palette.best_match() == "roi.ring"
    window.palette.search.setText("dvh condition")
    assert "cond.dvh" in window.palette.visible_types() and "roi.ring" not in window.palette.visible_types()
    window.palette.search.setText("ring")
    window.palette.search.returnPressed.emit()
    (node_id,) = window.doc.node_ids()
    assert window.doc.node(node_id).type == "roi.ring"
    assert window.canvas.selected_ids() == [node_id]
    window.palette.search.setText("")
    assert len(window.palette.visible_types()) == len(window.registry)


def test_dropping_a_palette_entry_on_the_canvas_adds_the_node_there(window):
    mime = QtCore.QMimeData()
    mime.setText(NODE_MIME + "opt.function")
    window.canvas.viewer().data_dropped.emit(mime, QtCore.QPoint(120, 80))
    (node,) = window.doc.flow.nodes
    assert node.type == "opt.function" and node.pos == (120.0, 80.0)


def test_tab_search_on_the_canvas_adds_the_chosen_node(window, qtbot):
    widget = window.canvas.viewer()._search_widget
    seen = []

    def choose():
        seen.append(widget.isVisible())
        widget.line_edit.setText("Ring")
        widget.line_edit.returnPressed.emit()

    QtCore.QTimer.singleShot(200, choose)
    window.act_search.trigger()
    assert seen == [True]
    assert [n.type for n in window.doc.flow.nodes] == ["roi.ring"]


def test_copy_and_paste_across_files_keeps_the_wires_between_copied_nodes(lung, make_window):
    fn = next(e.dst[0] for e in lung.doc.flow.edges if e.src[0] == "roi-sp03")
    lung.canvas.select(["roi-cord", "roi-sp03", fn])
    lung.act_copy.trigger()
    other = make_window()
    other.act_paste.trigger()
    assert sorted(other.doc.node_ids()) == sorted([fn, "roi-cord", "roi-sp03"])
    wires = {(tuple(e.src), tuple(e.dst)) for e in other.doc.flow.edges}
    assert wires == {(("roi-cord", "roi"), ("roi-sp03", "roi")), (("roi-sp03", "roi"), (fn, "roi"))}
    other.act_paste.trigger()
    assert len(other.doc.node_ids()) == 6 and len(other.doc.flow.edges) == 4
    assert other.canvas.selected_ids() == [n for n in other.doc.node_ids()[3:]]
    lung.canvas.select(["fn03"])
    lung.act_duplicate.trigger()
    assert lung.doc.node_ids()[-1] == "function-1"
    assert lung.doc.node("function-1").params == lung.doc.node("fn03").params


def test_export_of_the_diagram_as_png_and_svg(lung, tmp_path):
    lung.prompts.next_path = tmp_path / "diagram.png"
    png = lung.export("png")
    image = QtGui.QImage(str(png))
    assert image.width() > 2000 and image.height() > 800
    lung.prompts.next_path = tmp_path / "diagram.svg"
    svg = lung.export("svg")
    text = svg.read_text(encoding="utf-8")
    assert "<svg" in text and "Progressive rounds" in text


def test_shortcuts_a_user_would_guess(window):
    def keys(action):
        return {a.toString() for a in action.shortcuts()}

    assert "Ctrl+Z" in keys(window.act_undo)
    assert {"Ctrl+Y", "Ctrl+Shift+Z"} <= keys(window.act_redo)
    assert "Ctrl+S" in keys(window.act_save) and "Ctrl+Shift+S" in keys(window.act_save_as)
    assert "Ctrl+O" in keys(window.act_open) and "Ctrl+N" in keys(window.act_new)
    assert "Del" in keys(window.act_delete) and "Ctrl+D" in keys(window.act_duplicate)
    assert "Ctrl+C" in keys(window.act_copy) and "Ctrl+V" in keys(window.act_paste)
    assert "Ctrl+A" in keys(window.act_select_all) and "Ctrl+E" in keys(window.act_disable)
    assert keys(window.act_fit) == {"F"} and keys(window.act_search) == {"Tab"}
    assert keys(window.act_run) == {"F5"} and keys(window.act_stop) == {"Shift+F5"}


def test_keyboard_delete_and_undo_on_the_canvas(lung, qtbot):
    lung.show()
    qtbot.waitExposed(lung)
    with warnings.catch_warnings():  # the offscreen platform activates windows only when told to
        warnings.simplefilter("ignore", DeprecationWarning)
        QtWidgets.QApplication.setActiveWindow(lung)
    lung.canvas.select(["save"])
    lung.viewer.setFocus()
    assert QtWidgets.QApplication.focusWidget() is lung.viewer
    qtbot.keyClick(lung.viewer, QtCore.Qt.Key_Delete)
    assert "save" not in lung.doc.node_ids()
    qtbot.keyClick(lung.viewer, QtCore.Qt.Key_Z, QtCore.Qt.ControlModifier)
    assert "save" in lung.doc.node_ids()


def test_notes_are_edited_as_part_of_the_document(lung):
    note = lung.canvas.note_items()[1]
    note.on_edit(note, note.note.model_copy(update={"title": "Rounds", "rect": (0.0, 950.0, 3000.0, 400.0)}), {})
    assert lung.doc.flow.notes[1].title == "Rounds"
    assert note.current_rect() == (0.0, 950.0, 3000.0, 400.0)
    lung.doc.undo_stack.undo()
    assert lung.doc.flow.notes[1].title == "Progressive rounds"
    assert note.note.title == "Progressive rounds"


def test_dragging_a_note_carries_the_nodes_inside_it_as_one_step(lung, qtbot):
    before = lung.doc.flow.to_json_dict()
    note = lung.canvas.note_items()[1]
    inside = {item.flow_id for item in lung.canvas._nodes_inside(note.sceneBoundingRect())}
    assert {"rounds", "optimize", "tighten", "end", "save"} <= inside and "fn01" not in inside
    viewport = lung.canvas.viewer().viewport()
    lung.show()
    qtbot.waitExposed(lung)
    lung.canvas.fit()
    title = lung.canvas.viewer().mapFromScene(note.mapToScene(QtCore.QPointF(200, 10)))
    qtbot.mousePress(viewport, QtCore.Qt.LeftButton, pos=title)
    move = QtGui.QMouseEvent(QtCore.QEvent.MouseMove, QtCore.QPointF(title + QtCore.QPoint(0, 40)),
                             viewport.mapToGlobal(QtCore.QPointF(title + QtCore.QPoint(0, 40))),
                             QtCore.Qt.NoButton, QtCore.Qt.LeftButton, QtCore.Qt.NoModifier)
    QtWidgets.QApplication.sendEvent(viewport, move)
    qtbot.mouseRelease(viewport, QtCore.Qt.LeftButton, pos=title + QtCore.QPoint(0, 40))
    dy = lung.doc.flow.notes[1].rect[1] - before["notes"][1]["rect"][1]
    assert dy > 20
    assert lung.doc.node("tighten").pos[1] == pytest.approx(1000.0 + dy, abs=0.2)
    assert lung.doc.node("fn01").pos == tuple(next(n["pos"] for n in before["nodes"] if n["id"] == "fn01"))
    assert lung.doc.undo_stack.count() == 1
    lung.doc.undo_stack.undo()
    assert lung.doc.flow.to_json_dict() == before


def test_renaming_a_node_on_the_canvas_sets_its_title(lung):
    item = lung.canvas.node_view("optimize").view
    lung.canvas.viewer().node_name_changed.emit(item.id, "Optimize (warm start)")
    assert lung.doc.node("optimize").title == "Optimize (warm start)"
    lung.doc.undo_stack.undo()
    assert lung.doc.node("optimize").title == "" and item.name == "Optimize"


def test_right_click_on_the_canvas_opens_the_edit_menu(lung, qtbot):
    texts = {a.text() for a in lung.canvas_menu.actions()}
    assert {"Add node by &search…", "&Copy", "&Paste", "&Delete", "&Auto-layout"} <= texts
    lung.show()
    qtbot.waitExposed(lung)
    viewport = lung.canvas.viewer().viewport()
    point = QtCore.QPoint(100, 100)
    event = QtGui.QContextMenuEvent(QtGui.QContextMenuEvent.Mouse, point, viewport.mapToGlobal(point))
    QtWidgets.QApplication.sendEvent(viewport, event)
    assert lung.canvas_menu.isVisible()
    lung.canvas_menu.close()
