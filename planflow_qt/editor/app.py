"""Starting the editor: the application, its theme, and the `planflow edit` command (with `--screenshot`)."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from pathlib import Path

from Qt import QtCore, QtGui, QtWidgets

from planflow_qt.backends.base import Backend
from planflow_qt.editor.case_names import CaseNames

log = logging.getLogger(__name__)

DARK = {
    QtGui.QPalette.Window: (45, 48, 54), QtGui.QPalette.WindowText: (225, 228, 232),
    QtGui.QPalette.Base: (33, 36, 41), QtGui.QPalette.AlternateBase: (42, 45, 51),
    QtGui.QPalette.ToolTipBase: (250, 250, 235), QtGui.QPalette.ToolTipText: (20, 20, 20),
    QtGui.QPalette.Text: (225, 228, 232), QtGui.QPalette.Button: (52, 56, 63),
    QtGui.QPalette.ButtonText: (225, 228, 232), QtGui.QPalette.BrightText: (255, 90, 90),
    QtGui.QPalette.Highlight: (52, 120, 200), QtGui.QPalette.HighlightedText: (255, 255, 255),
    QtGui.QPalette.Link: (110, 170, 240), QtGui.QPalette.PlaceholderText: (130, 136, 145),
}
STYLE_SHEET = """
QDockWidget::title { background: #33373e; padding: 4px 6px; font-weight: bold; }
QGroupBox { border: 1px solid #4a4f57; border-radius: 4px; margin-top: 10px; padding-top: 6px; }
QGroupBox::title { subcontrol-origin: margin; left: 8px; padding: 0 3px; color: #c9d1da; }
QHeaderView::section { background: #3a3e45; color: #d5dae0; padding: 3px; border: 0;
                       border-right: 1px solid #2b2e33; }
QTableWidget { gridline-color: #3d4148; }
QStatusBar { background: #2b2e33; }
"""


def application() -> QtWidgets.QApplication:
    """The running QApplication (created, named and themed when there is none)."""
    app = QtWidgets.QApplication.instance()
    if app is None:
        app = QtWidgets.QApplication(sys.argv[:1])
        app.setOrganizationName("PlanFlow")
        app.setApplicationName("PlanFlow-Qt")
        apply_theme(app)
    return app


def apply_theme(app: QtWidgets.QApplication) -> None:
    """Fusion style, a dark palette and a few style rules (the canvas is dark too)."""
    app.setStyle("Fusion")
    palette = QtGui.QPalette()
    for role, rgb in DARK.items():
        palette.setColor(role, QtGui.QColor(*rgb))
    for role in (QtGui.QPalette.Text, QtGui.QPalette.ButtonText, QtGui.QPalette.WindowText):
        palette.setColor(QtGui.QPalette.Disabled, role, QtGui.QColor(120, 125, 132))
    app.setPalette(palette)
    app.setStyleSheet(STYLE_SHEET)


SCREENSHOT_SIZE = (1600, 1000)
"""The window size of `--screenshot`, whatever the screen (the offscreen platform's is 800 x 800)."""


def settle(app: QtWidgets.QApplication, ms: int = 300) -> None:
    """Let pending events and timers run for about `ms` milliseconds."""
    timer = QtCore.QElapsedTimer()
    timer.start()
    while timer.elapsed() < ms:
        app.processEvents(QtCore.QEventLoop.AllEvents, 20)


def take_screenshot(window, path: Path, run: bool, case: str, grid_mm: float, select: str | None) -> int:
    """Render the window to a PNG (after a run on the simulated case when `run`); returns an exit code."""
    app = application()
    window.resize(*SCREENSHOT_SIZE)
    window.show()
    settle(app, 400)
    if run:
        window.run_dock.raise_()
        window.resizeDocks([window.run_dock], [420], QtCore.Qt.Vertical)
        window.run_panel.choose_simulated(case, grid_mm)
        if not window.run_panel.start():
            log.error("the flow could not run: %s", window.run_panel.status.text())
            return 1
        if not window.run_panel.wait(600):
            log.error("the run did not end within 10 minutes")
            return 1
    settle(app, 500)
    if select and select in window.doc.node_ids():
        window.canvas.select([select])
        window.canvas.zoom_on(select, 0.7)
    else:
        window.fit()
    settle(app, 300)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not window.grab().save(str(path), "PNG"):
        log.error("cannot write %s", path)
        return 1
    log.info("screenshot written to %s", path)
    return 0


def main(flow: Path | None = None, screenshot: Path | None = None, run: bool = False, case: str = "lung",
         grid_mm: float = 10.0, select: str | None = None,
         raystation_backend_factory: Callable[[], Backend] | None = None, case_names: CaseNames | None = None,
         title: str = "") -> int:
    """Open the editor (on `flow`), or with `screenshot` render it to a PNG and exit."""
    from planflow_qt.editor.recovery import untitled_recoveries
    from planflow_qt.editor.window import MainWindow

    app = application()
    window = MainWindow(raystation_backend_factory=raystation_backend_factory, case_names=case_names,
                        case_label=title)
    if flow is not None and not window.open(flow, offer_recovery=screenshot is None):
        return 2
    if screenshot is not None:
        code = take_screenshot(window, screenshot, run, case, grid_mm, select)
        window.doc.undo_stack.setClean()
        window.close()
        return code
    if flow is None:
        for recovery in untitled_recoveries(window.autosaver.folder)[:1]:
            if window.prompts.recover(None, recovery):
                window.recover_untitled(recovery)
            else:
                recovery.unlink(missing_ok=True)
    window.show()
    return app.exec()


def launch(flow_path: str | Path | None = None, raystation=None) -> int:
    """Open the editor from RayStation: `raystation` (a RayStationBinding) gives the run panel the open case
    as a backend and offers its ROIs, goal templates and machines while editing."""
    names = None
    factory = None
    label = ""
    if raystation is not None:
        names = CaseNames(list(raystation.roi_names), list(raystation.goal_templates), list(raystation.machines))
        factory, label = raystation.backend_factory, raystation.case_label
    return main(Path(flow_path) if flow_path else None, raystation_backend_factory=factory, case_names=names,
                title=label)
