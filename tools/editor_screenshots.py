"""Screenshots of the editor for the documentation, from a real window (run it under an X server, e.g.
`xvfb-run -a -s "-screen 0 1600x1000x24" sh -c "openbox & python tools/editor_screenshots.py docs"`).

Writes `editor_lung_layout.png` (the whole screen: the lung progressive flow after auto-layout, at Fit) and
`export_lung.png` (the same flow exported as a PNG, as File > Export diagram writes it).
"""

from __future__ import annotations

import argparse
import logging
import tempfile
from pathlib import Path

from Qt import QtCore, QtGui

from planflow_qt.editor.app import application, settle
from planflow_qt.editor.export import export_png

ROOT = Path(__file__).parents[1]
log = logging.getLogger("editor_screenshots")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="where the PNG files are written")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    app = application()
    from planflow_qt.editor.window import MainWindow

    with tempfile.TemporaryDirectory() as scratch:  # a first start: no size of an earlier session
        settings = QtCore.QSettings(str(Path(scratch) / "settings.ini"), QtCore.QSettings.IniFormat)
        window = MainWindow(settings=settings, recovery_folder=Path(scratch) / "recovery")
        window.open(ROOT / "flows" / "lung_progressive.json", offer_recovery=False)
        window.show()
        settle(app, 800)
        window.auto_layout()
        settle(app, 300)
        window.fit()
        settle(app, 500)
        args.folder.mkdir(parents=True, exist_ok=True)
        screen = QtGui.QGuiApplication.primaryScreen()
        shot = args.folder / "editor_lung_layout.png"
        screen.grabWindow(0).save(str(shot), "PNG")
        log.info("%s: screen %dx%d, window frame %dx%d at (%d, %d)", shot, screen.size().width(),
                 screen.size().height(), window.frameGeometry().width(), window.frameGeometry().height(),
                 window.frameGeometry().x(), window.frameGeometry().y())
        export = export_png(window.canvas, args.folder / "export_lung.png", scale=1.0)
        log.info("%s", export)
        window.doc.undo_stack.setClean()
        window.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
