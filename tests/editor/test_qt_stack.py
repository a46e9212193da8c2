"""Guards of the Qt stack: PySide6's None reference count, and the headless core staying Qt-free."""

import subprocess
import sys

CALLS = 5000


def test_void_qt_calls_do_not_drop_references_to_none(qapp):
    """PySide6 6.12.0 drops a reference to None on every Qt call that returns nothing (Python < 3.12 aborts
    with `none_dealloc` after about a thousand): thousands of such calls must leave the count where it was."""
    from Qt import QtCore, QtWidgets

    item = QtCore.QObject()
    widget = QtWidgets.QWidget()
    before = sys.getrefcount(None)
    for i in range(CALLS):
        item.setObjectName("guard")
        widget.setToolTip("guard" if i % 2 else "")
    after = sys.getrefcount(None)
    assert after >= before - 50, f"None lost {before - after} references in {2 * CALLS} void Qt calls"


def test_importing_planflow_and_its_engine_loads_no_qt():
    code = ("import sys, planflow_qt, planflow_qt.cli, planflow_qt.runner, planflow_qt.engine.interpreter; "
            "print([m for m in sys.modules if m.split('.')[0] in ('PySide6', 'Qt', 'NodeGraphQt', 'shiboken6')])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_copying_nodes_to_the_clipboard_does_not_crash_the_exit():
    import subprocess
    import sys

    script = (
        "import os; os.environ['QT_QPA_PLATFORM'] = 'offscreen'\n"
        "from Qt import QtWidgets\n"
        "from planflow_qt.editor.clipboard import clipboard_fragment, copy_to_clipboard\n"
        "from planflow_qt.model.builder import FlowBuilder\n"
        "app = QtWidgets.QApplication([])\n"
        "b = FlowBuilder('x'); b.add('roi.match', 'ptv', {'name': 'PTV'})\n"
        "copy_to_clipboard(b.build(), ['ptv'])\n"
        "assert clipboard_fragment()[0][0].id == 'ptv'\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
