"""The main window: canvas, palette, properties, problems and run docks; files, edit and arrange commands."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from Qt import QtCore, QtGui, QtWidgets

from planflow_qt.backends.base import Backend
from planflow_qt.catalog.registry import Registry, default_registry
from planflow_qt.editor import arrange, clipboard
from planflow_qt.editor.canvas import FlowCanvas
from planflow_qt.editor.case_names import CaseNames
from planflow_qt.editor.commands import Change
from planflow_qt.editor.document import DocumentController
from planflow_qt.editor.export import export_png, export_svg
from planflow_qt.editor.layering import layered_layout
from planflow_qt.editor.palette import Palette
from planflow_qt.editor.problems import ProblemsPanel, Validator, problem_text
from planflow_qt.editor.prompts import Prompts
from planflow_qt.editor.properties import PropertiesPanel
from planflow_qt.editor.recovery import Autosaver, RecentFiles, default_recovery_folder, newer_recovery
from planflow_qt.editor.run_panel import RunPanel
from planflow_qt.engine.problems import Problem
from planflow_qt.engine.validation import Analysis
from planflow_qt.model.document import Flow, FlowMeta, Note
from planflow_qt.model.errors import FlowFileError
from planflow_qt.model.files import flow_from_data, load_flow, read_json, save_flow

log = logging.getLogger(__name__)

PASTE_OFFSET = 40.0
GEOMETRY_KEY = "window/geometry"
STATE_KEY = "window/state"


class MainWindow(QtWidgets.QMainWindow):
    """The PlanFlow editor window.

    `raystation_backend_factory` adds RayStation to the run panel's backends and `case_names` offers the
    bound case's ROIs, goal templates and machines while editing; `settings` (QSettings),
    `prompts` (dialogs), `recovery_folder`, `runs_dir` and `autosave_ms` can be injected (tests, scripts).
    """

    def __init__(self, registry: Registry | None = None,
                 raystation_backend_factory: Callable[[], Backend] | None = None,
                 settings: QtCore.QSettings | None = None, prompts: Prompts | None = None,
                 recovery_folder: Path | None = None, runs_dir: Path | None = None, autosave_ms: int = 60_000,
                 case_names: CaseNames | None = None, case_label: str = ""):
        super().__init__()
        self.registry = registry or default_registry()
        self.settings = settings or QtCore.QSettings("PlanFlow", "PlanFlow-Qt")
        self.prompts = prompts or Prompts(self)
        self.recent = RecentFiles(self.settings)
        self.canvas = FlowCanvas(self.registry, self)
        self.doc = DocumentController(self.canvas, self.registry, self)
        self.validator = Validator(self.doc, self)
        self.autosaver = Autosaver(self.doc, recovery_folder or default_recovery_folder(), autosave_ms, self)
        self.viewer = self.canvas.viewer()
        self.viewer.setFocusPolicy(QtCore.Qt.StrongFocus)
        self.setCentralWidget(self.viewer)
        self.palette = Palette(self.registry)
        self.case_label = case_label
        self.properties = PropertiesPanel(self.doc, case_names)
        self.problems = ProblemsPanel(self.doc)
        self.run_panel = RunPanel(lambda: self.doc.flow, self._run_check, raystation_backend_factory, runs_dir,
                                  registry=self.registry, choose_patient=lambda: self.prompts.patient_folder(
                                      self._folder()))
        self._docks()
        self._actions()
        self._menus()
        self._connect()
        self.statusBar().showMessage("Ready", 3000)
        self._restore_geometry()
        self.new_flow()

    # -- construction ----------------------------------------------------------------------------------------------
    def _dock(self, title: str, widget: QtWidgets.QWidget, area, name: str) -> QtWidgets.QDockWidget:
        dock = QtWidgets.QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _docks(self) -> None:
        self.palette_dock = self._dock("Nodes", self.palette, QtCore.Qt.LeftDockWidgetArea, "palette")
        self.properties_dock = self._dock("Properties", self.properties, QtCore.Qt.RightDockWidgetArea, "properties")
        self.problems_dock = self._dock("Problems", self.problems, QtCore.Qt.BottomDockWidgetArea, "problems")
        self.run_dock = self._dock("Run", self.run_panel, QtCore.Qt.BottomDockWidgetArea, "run")
        self.tabifyDockWidget(self.problems_dock, self.run_dock)
        self.problems_dock.raise_()
        self._docks_sized = False

    def showEvent(self, event: QtGui.QShowEvent) -> None:
        super().showEvent(event)
        if not self._docks_sized:  # dock sizes apply once the window is laid out
            self._docks_sized = True
            QtCore.QTimer.singleShot(0, self._size_docks)

    def _restore_geometry(self) -> None:
        """The size and docks of the last session, or most of the screen the first time (never larger than
        the screen's available area, so the status bar stays on screen)."""
        geometry, state = self.settings.value(GEOMETRY_KEY), self.settings.value(STATE_KEY)
        if geometry is not None and self.restoreGeometry(geometry):
            if state is not None:
                self.restoreState(state)
            self._docks_sized = state is not None
            return
        screen = QtGui.QGuiApplication.primaryScreen()
        available = screen.availableGeometry() if screen else QtCore.QRect(0, 0, 1600, 1000)
        size = QtCore.QSize(min(1600, int(available.width() * 0.92)), min(1000, int(available.height() * 0.92)))
        self.resize(size)
        self.move(available.center() - QtCore.QPoint(size.width() // 2, size.height() // 2))

    def _save_geometry(self) -> None:
        self.settings.setValue(GEOMETRY_KEY, self.saveGeometry())
        self.settings.setValue(STATE_KEY, self.saveState())

    def _size_docks(self) -> None:
        self.resizeDocks([self.palette_dock, self.properties_dock], [210, 390], QtCore.Qt.Horizontal)
        self.resizeDocks([self.problems_dock], [170], QtCore.Qt.Vertical)

    def _action(self, text: str, slot, shortcut=None, tip: str = "", canvas_only: bool = False) -> QtGui.QAction:
        action = QtGui.QAction(text, self)
        if shortcut is not None:
            keys = shortcut if isinstance(shortcut, list) else [shortcut]
            action.setShortcuts([QtGui.QKeySequence(k) for k in keys])
        if tip:
            action.setStatusTip(tip)
        action.triggered.connect(lambda *_: slot())
        if canvas_only:
            action.setShortcutContext(QtCore.Qt.WidgetWithChildrenShortcut)
            self.viewer.addAction(action)
        else:
            self.addAction(action)
        return action

    def _actions(self) -> None:
        key = QtGui.QKeySequence
        self.act_new = self._action("&New", self.new_flow, key.New)
        self.act_open = self._action("&Open…", self.open_dialog, key.Open)
        self.act_import = self._action("&Import Planning-Flow…", self.import_dialog, tip=(
            "Convert a Planning-Flow file into a new flow (it is saved only when you save it)"))
        self.act_save = self._action("&Save", self.save, key.Save)
        self.act_save_as = self._action("Save &As…", self.save_as, "Ctrl+Shift+S")
        self.act_export_png = self._action("Export diagram as &PNG…", lambda: self.export("png"))
        self.act_export_svg = self._action("Export diagram as S&VG…", lambda: self.export("svg"))
        self.act_quit = self._action("&Quit", self.close, key.Quit)
        self.act_undo = self.doc.undo_stack.createUndoAction(self, "&Undo")
        self.act_undo.setShortcuts([key("Ctrl+Z")])
        self.act_redo = self.doc.undo_stack.createRedoAction(self, "&Redo")
        self.act_redo.setShortcuts([key("Ctrl+Y"), key("Ctrl+Shift+Z")])
        self.addActions([self.act_undo, self.act_redo])
        self.act_cut = self._action("Cu&t", self.cut, key.Cut, canvas_only=True)
        self.act_copy = self._action("&Copy", self.copy, key.Copy, canvas_only=True)
        self.act_paste = self._action("&Paste", self.paste, key.Paste, canvas_only=True)
        self.act_duplicate = self._action("&Duplicate", self.duplicate, "Ctrl+D")
        self.act_delete = self._action("&Delete", self.delete_selection, ["Del", "Backspace"], canvas_only=True)
        self.act_select_all = self._action("Select &all", self.select_all, key.SelectAll, canvas_only=True)
        self.act_disable = self._action("Switch off / on", self.toggle_disabled, "Ctrl+E",
                                        "Skip the selected nodes when the flow runs (or run them again)")
        self.act_note = self._action("Add &note", self.add_note, "Ctrl+Shift+N")
        self.act_search = self._action("Add node by &search…", self.canvas.open_search, "Tab", canvas_only=True)
        self.act_layout = self._action("&Auto-layout", self.auto_layout, "Ctrl+L",
                                       "Arrange the selected nodes (or all) in columns by dependency, notes with them")
        self.align_actions = [self._action(text, lambda how=how: self.align(how), shortcut)
                              for text, how, shortcut in (("Align &left", "left", "Ctrl+Shift+Left"),
                                                          ("Align &top", "top", "Ctrl+Shift+Up"),
                                                          ("Align centres in a &column", "hcenter", None),
                                                          ("Align centres in a &row", "vcenter", None),
                                                          ("Spread &horizontally", "hspread", None),
                                                          ("Spread &vertically", "vspread", None))]
        self.act_fit = self._action("&Fit to window", self.fit, "F", canvas_only=True)
        self.act_fit_selection = self._action("Fit &selection", self.fit_selection, "Shift+F", canvas_only=True)
        self.act_zoom_in = self._action("Zoom &in", lambda: self.viewer._set_viewer_zoom(120), key.ZoomIn)
        self.act_zoom_out = self._action("Zoom &out", lambda: self.viewer._set_viewer_zoom(-120), key.ZoomOut)
        self.act_run = self._action("&Run", self.run_panel.start, "F5", "Run the flow on the chosen backend")
        self.act_stop = self._action("&Stop", self.run_panel.stop, "Shift+F5", "Stop after the current node")
        self.act_stop.setEnabled(False)
        self.act_validate = self._action("&Check now", self.validator.run_now, "Ctrl+Shift+V")

    def _menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addActions([self.act_new, self.act_open])
        self.recent_menu = file_menu.addMenu("Open &recent")
        file_menu.addActions([self.act_save, self.act_save_as, self.act_import])
        file_menu.addSeparator()
        file_menu.addActions([self.act_export_png, self.act_export_svg])
        file_menu.addSeparator()
        file_menu.addAction(self.act_quit)
        edit = bar.addMenu("&Edit")
        edit.addActions([self.act_undo, self.act_redo])
        edit.addSeparator()
        edit.addActions([self.act_cut, self.act_copy, self.act_paste, self.act_duplicate, self.act_delete])
        edit.addSeparator()
        edit.addActions([self.act_select_all, self.act_disable, self.act_search, self.act_note])
        arrange_menu = bar.addMenu("&Arrange")
        arrange_menu.addAction(self.act_layout)
        arrange_menu.addSeparator()
        arrange_menu.addActions(self.align_actions)
        view = bar.addMenu("&View")
        view.addActions([self.act_fit, self.act_fit_selection, self.act_zoom_in, self.act_zoom_out])
        view.addSeparator()
        for dock in (self.palette_dock, self.properties_dock, self.problems_dock, self.run_dock):
            view.addAction(dock.toggleViewAction())
        run = bar.addMenu("&Run")
        run.addActions([self.act_run, self.act_stop, self.act_validate])
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        self.canvas_menu = QtWidgets.QMenu(self)
        self.canvas_menu.addActions([self.act_search, self.act_note, self.act_paste])
        self.canvas_menu.addSeparator()
        self.canvas_menu.addActions([self.act_cut, self.act_copy, self.act_duplicate, self.act_delete,
                                     self.act_disable])
        self.canvas_menu.addSeparator()
        self.canvas_menu.addActions([self.act_layout, self.act_fit])
        self.viewer.setContextMenuPolicy(QtCore.Qt.CustomContextMenu)
        self.viewer.customContextMenuRequested.connect(
            lambda pos: self.canvas_menu.popup(self.viewer.mapToGlobal(pos)))

    def _connect(self) -> None:
        doc = self.doc
        doc.message.connect(lambda text: self.statusBar().showMessage(text, 8000))
        doc.undo_stack.cleanChanged.connect(lambda _clean: self._update_title())
        doc.changed.connect(self._update_title)
        doc.changed.connect(self.run_panel.flag_edit)
        self.canvas.selection_changed.connect(self.properties.show_nodes)
        self.validator.analyzed.connect(self._analyzed)
        self.problems.node_activated.connect(self.go_to_node)
        self.palette.activated.connect(self._add_from_palette)
        self.run_panel.node_state.connect(self.canvas.set_run_state)
        self.run_panel.states_cleared.connect(self.canvas.clear_run_states)
        self.run_panel.node_note.connect(self.canvas.add_run_note)
        self.run_panel.running_changed.connect(self._running_changed)

    # -- documents -------------------------------------------------------------------------------------------------
    def _update_title(self) -> None:
        name = self.doc.path.name if self.doc.path else "untitled"
        bound = f" — {self.case_label}" if self.case_label else ""
        self.setWindowTitle(f"{self.doc.flow.meta.name} — {name}[*] — PlanFlow{bound}")
        self.setWindowModified(self.doc.dirty)

    def maybe_save(self) -> bool:
        """Ask what to do with unsaved changes; False when the user cancels."""
        if not self.doc.dirty:
            return True
        answer = self.prompts.save_changes(self.doc.flow.meta.name)
        if answer == "cancel":
            return False
        if answer == "save":
            return self.save()
        return True

    def new_flow(self) -> None:
        if not self._stop_run_to("start a new flow") or not self.maybe_save():
            return
        self.autosaver.discard()
        self.doc.load(Flow(meta=FlowMeta(name="Untitled flow")), None)
        self._after_load()

    def open_dialog(self) -> None:
        path = self.prompts.open_path(self._folder())
        if path is not None:
            self.open(path)

    def open(self, path: str | Path, offer_recovery: bool = True) -> bool:
        """Open a flow file (offering its recovery file when one is newer); False when it cannot be read."""
        path = Path(path)
        if not self._stop_run_to("open another flow") or not self.maybe_save():
            return False
        try:
            flow = load_flow(path)
        except FlowFileError as exc:
            self.prompts.error("Cannot open the flow", str(exc))
            return False
        recovered = newer_recovery(path, self.autosaver.folder) if offer_recovery else None
        if recovered is not None and self.prompts.recover(path, recovered):
            try:
                flow_recovered = flow_from_data(read_json(recovered), recovered)
            except FlowFileError as exc:
                self.prompts.error("Cannot recover", str(exc))
            else:
                self.autosaver.discard()
                self.doc.load(flow_recovered, path)
                self.doc.undo_stack.resetClean()
                self.autosaver.written = recovered
                self._after_load()
                self.statusBar().showMessage(f"Recovered unsaved changes of {path.name}: save to keep them", 10000)
                return True
        if recovered is not None:
            recovered.unlink(missing_ok=True)
        self.autosaver.discard()
        self.doc.load(flow, path)
        self.recent.add(path)
        self._after_load()
        self.statusBar().showMessage(f"Opened {path}", 5000)
        return True

    def import_dialog(self) -> None:
        path = self.prompts.open_path(self._folder())
        if path is not None:
            self.import_legacy(path)

    def import_legacy(self, path: str | Path) -> bool:
        """Open a Planning-Flow file as a new, unsaved flow; its conversion warnings go to the status bar."""
        from planflow_qt.model.legacy.convert import load_any

        if not self._stop_run_to("import another flow") or not self.maybe_save():
            return False
        try:
            flow, warnings = load_any(path)
        except FlowFileError as exc:
            self.prompts.error("Cannot import", str(exc))
            return False
        self.autosaver.discard()
        self.doc.load(flow, None)
        self.doc.undo_stack.resetClean()
        self._after_load()
        for warning in warnings:
            log.warning("%s: %s", path, warning)
        self.problems.set_import_notes(warnings)
        self.validator.run_now()
        if warnings:
            self.problems_dock.raise_()
        note = f"; {len(warnings)} warning{'s' * (len(warnings) != 1)}, listed in Problems" if warnings else ""
        self.statusBar().showMessage(f"Imported {Path(path).name} as a new flow{note}", 15000)
        return True

    def recover_untitled(self, recovery: Path) -> bool:
        """Open the recovery file of an untitled flow left by a crash (as unsaved changes)."""
        try:
            flow = flow_from_data(read_json(recovery), recovery)
        except FlowFileError as exc:
            self.prompts.error("Cannot recover", str(exc))
            return False
        self.doc.load(flow, None)
        self.doc.undo_stack.resetClean()
        recovery.unlink(missing_ok=True)
        self._after_load()
        return True

    def _after_load(self) -> None:
        self.run_panel.clear()
        self.problems.set_import_notes([])
        self.validator.run_now()
        QtCore.QTimer.singleShot(0, self.fit)
        self._update_title()

    def save(self) -> bool:
        if self.doc.path is None:
            return self.save_as()
        return self._write(self.doc.path)

    def save_as(self) -> bool:
        suggestion = self.doc.path or self._folder() / f"{_file_stem(self.doc.flow.meta.name)}.json"
        path = self.prompts.save_path(suggestion)
        return self._write(path) if path is not None else False

    def _write(self, path: Path) -> bool:
        try:
            save_flow(self.doc.flow, path)
        except OSError as exc:
            self.prompts.error("Cannot save", f"{path}: {exc.strerror or exc}")
            return False
        self.doc.mark_saved(path)
        self.autosaver.discard()
        self.recent.add(path)
        self._update_title()
        self.statusBar().showMessage(f"Saved {path}", 5000)
        return True

    def export(self, kind: str) -> Path | None:
        stem = self.doc.path.with_suffix("") if self.doc.path else self._folder() / _file_stem(self.doc.flow.meta.name)
        path = self.prompts.export_path(Path(f"{stem}.{kind}"), kind)
        if path is None:
            return None
        try:
            written = export_png(self.canvas, path) if kind == "png" else export_svg(self.canvas, path,
                                                                                       self.doc.flow.meta.name)
        except OSError as exc:
            self.prompts.error("Cannot export", str(exc))
            return None
        self.statusBar().showMessage(f"Exported {written}", 5000)
        return written

    def _folder(self) -> Path:
        recent = self.recent.paths()
        return recent[0].parent if recent else Path.cwd()

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        for path in self.recent.paths():
            action = self.recent_menu.addAction(str(path))
            action.triggered.connect(lambda *_, p=path: self.open(p))
        if self.recent_menu.isEmpty():
            self.recent_menu.addAction("(none)").setEnabled(False)

    def _stop_run_to(self, action: str) -> bool:
        """When a flow runs, ask whether to stop it to `action`; stop it if so. False when the user keeps it."""
        if not self.run_panel.running:
            return True
        if not self.prompts.stop_run(action):
            return False
        self.run_panel.stop()
        self.run_panel.wait(30)
        return True

    def closeEvent(self, event: QtGui.QCloseEvent) -> None:
        if self._stop_run_to("quit") and self.maybe_save():
            self._save_geometry()
            self.autosaver.discard()
            event.accept()
        else:
            event.ignore()

    # -- editing ---------------------------------------------------------------------------------------------------
    def selected(self) -> list[str]:
        return self.canvas.selected_ids()

    def _view_center(self) -> tuple[float, float]:
        center = self.viewer.mapToScene(self.viewer.viewport().rect().center())
        return (center.x() - 100, center.y() - 40)

    def _add_from_palette(self, type_id: str) -> None:
        self.doc.add_node(type_id, self._view_center())
        self.viewer.setFocus()

    def delete_selection(self) -> None:
        notes = [i for i, item in enumerate(self.canvas.note_items()) if item.isSelected()]
        for index in reversed(notes):
            self.doc.delete_note(index)
        self.doc.delete_nodes(self.selected())

    def select_all(self) -> None:
        self.canvas.select(self.doc.node_ids())

    def copy(self) -> None:
        ids = self.selected()
        if ids:
            clipboard.copy_to_clipboard(self.doc.flow, ids)
            self.statusBar().showMessage(f"Copied {len(ids)} node{'s' * (len(ids) > 1)}", 3000)

    def cut(self) -> None:
        self.copy()
        self.doc.delete_nodes(self.selected())

    def paste(self) -> None:
        fragment = clipboard.clipboard_fragment()
        if fragment is None:
            self.statusBar().showMessage("Nothing to paste: copy nodes first", 4000)
            return
        nodes, edges = fragment
        self.doc.paste_fragment(nodes, edges, self._paste_offset(nodes))

    def _paste_offset(self, nodes) -> tuple[float, float]:
        """Paste beside the originals when they are in this flow, else at the centre of the view."""
        if not nodes:
            return (0.0, 0.0)
        ids = set(self.doc.node_ids())
        if all(n.id in ids for n in nodes):
            return (PASTE_OFFSET, PASTE_OFFSET)
        x0 = min(n.pos[0] for n in nodes)
        y0 = min(n.pos[1] for n in nodes)
        cx, cy = self._view_center()
        return (cx - x0, cy - y0)

    def duplicate(self) -> None:
        ids = set(self.selected())
        nodes = [n for n in self.doc.flow.nodes if n.id in ids]
        edges = [e for e in self.doc.flow.edges if e.src[0] in ids and e.dst[0] in ids]
        if nodes:
            self.doc.paste_fragment(nodes, edges, (PASTE_OFFSET, PASTE_OFFSET))

    def toggle_disabled(self) -> None:
        self.doc.toggle_disabled(self.selected())

    def add_note(self) -> None:
        ids = self.selected()
        if ids:
            rect = self.canvas.node_rect(ids).adjusted(-30, -60, 30, 30)
        else:
            x, y = self._view_center()
            rect = QtCore.QRectF(x, y, 360, 200)
        self.doc.add_note(Note(title="Note", text="", rect=(rect.x(), rect.y(), rect.width(), rect.height())))

    def _sizes(self, ids: list[str]) -> dict[str, tuple[float, float]]:
        sizes = {}
        for node_id in ids:
            item = self.canvas.node_view(node_id).view
            sizes[node_id] = (float(item.width), float(item.height))
        return sizes

    def auto_layout(self) -> None:
        """Arrange the selected nodes (or all) in layered columns, the notes with them, as one step."""
        ids = self.selected() or self.doc.node_ids()
        if not ids:
            return
        flow = self.doc.flow
        origin = min(self.doc.node(n).pos[0] for n in ids), min(self.doc.node(n).pos[1] for n in ids)
        loops = self.validator.run_now().loops
        layout = layered_layout(flow, self.registry, self._sizes(ids), loops, ids if self.selected() else None,
                                origin)
        change = Change(notes={i: (flow.notes[i], note) for i, note in layout.notes.items()
                               if note != flow.notes[i]})
        for node_id, (x, y) in layout.positions.items():
            node = self.doc.node(node_id)
            moved = node.model_copy(update={"pos": (round(x, 1), round(y, 1))})
            if moved != node:
                change.nodes[node_id] = (node, moved)
        self.doc.push(f"auto-layout {len(change.nodes)} nodes", change)
        self.fit()

    def align(self, how: str) -> None:
        ids = self.selected()
        if len(ids) < 2:
            self.statusBar().showMessage("Select two nodes or more to align them", 4000)
            return
        positions = {n: tuple(self.doc.node(n).pos) for n in ids}
        self.doc.set_positions(arrange.align(positions, self._sizes(ids), how), "align")

    # -- view ------------------------------------------------------------------------------------------------------
    def fit(self) -> None:
        """Show the whole flow (an empty flow at 100 %)."""
        if self.doc.flow.nodes or self.doc.flow.notes:
            self.canvas.fit()
        else:
            self.canvas.actual_size()

    def fit_selection(self) -> None:
        ids = self.selected()
        self.canvas.fit(ids or None)

    def go_to_node(self, node_id: str) -> None:
        """Select a node, centre it, and show its properties (a click in the problems list)."""
        if node_id not in self.doc.node_ids():
            return
        self.canvas.select([node_id])
        self.canvas.center_on_node(node_id)
        self.properties.show_nodes([node_id])

    def _analyzed(self, analysis: Analysis) -> None:
        self.canvas.refresh_summaries(self.doc.flow)
        by_node: dict[str, list[Problem]] = {}
        for problem in analysis.problems:
            by_node.setdefault(problem.node_id, []).append(problem)
        self.canvas.set_problems(by_node)
        titles = {n.id: n.title for n in self.doc.flow.nodes}
        self.canvas.set_zones(analysis.loops, {z.begin: titles.get(z.begin) or "Rounds" for z in analysis.loops})
        self.problems.show_analysis(analysis)
        self.properties.set_analysis(analysis)
        count = len(analysis.problems)
        self.problems_dock.setWindowTitle(f"Problems ({count})" if count else "Problems")

    # -- running ---------------------------------------------------------------------------------------------------
    def _run_check(self) -> str | None:
        analysis = self.validator.run_now()
        errors = [p for p in analysis.problems if p.is_error]
        if errors:
            self.problems_dock.raise_()
            first = problem_text(errors[0], self.doc.flow, self.registry)
            return f"the flow has {len(errors)} problem{'s' * (len(errors) > 1)}: first, {first}"
        self.run_dock.raise_()
        return None

    def _running_changed(self, running: bool) -> None:
        self.act_run.setEnabled(not running)
        self.act_stop.setEnabled(running)
        self.problems.set_run_problems(self.run_panel.failures() if not running else [])


def _file_stem(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name).strip("_").lower() or "flow"
