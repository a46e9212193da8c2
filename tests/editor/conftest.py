"""Qt fixtures of the editor tests: offscreen platform, a main window with injected settings and prompts."""

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before any Qt import (fixtures import Qt lazily)
FLOWS = Path(__file__).parents[2] / "flows"


class FakePrompts:
    """Answers the editor's questions without dialogs and records what was asked."""

    def __init__(self):
        self.asked: list[tuple] = []
        self.save_answer = "discard"
        self.stop_answer = True
        self.recover_answer = True
        self.next_path: Path | None = None
        self.errors: list[tuple[str, str]] = []

    def save_changes(self, name):
        self.asked.append(("save_changes", name))
        return self.save_answer

    def stop_run(self, action):
        self.asked.append(("stop_run", action))
        return self.stop_answer

    def recover(self, path, recovery):
        self.asked.append(("recover", path, recovery))
        return self.recover_answer

    def open_path(self, folder):
        return self.next_path

    def save_path(self, suggestion):
        return self.next_path

    def patient_folder(self, folder):
        return self.next_path

    def export_path(self, suggestion, kind):
        return self.next_path

    def error(self, title, text):
        self.errors.append((title, text))


@pytest.fixture
def make_window(qtbot, tmp_path):
    """A factory of main windows that share a settings file, a recovery folder and a runs folder in tmp."""
    from Qt import QtCore

    from planflow_qt.editor.window import MainWindow

    settings = QtCore.QSettings(str(tmp_path / "settings.ini"), QtCore.QSettings.IniFormat)
    windows = []

    def make(**kwargs):
        prompts = kwargs.pop("prompts", FakePrompts())
        window = MainWindow(settings=settings, prompts=prompts, recovery_folder=tmp_path / "recovery",
                            runs_dir=tmp_path / "runs", **kwargs)
        qtbot.addWidget(window)
        windows.append(window)
        return window

    yield make
    for window in windows:
        if window.run_panel.running:
            window.run_panel.stop()
            window.run_panel.wait(60)
        window.doc.undo_stack.setClean()


@pytest.fixture
def window(make_window):
    return make_window()


@pytest.fixture
def run_example(window, qtbot):
    """`run_example(name, case)`: open the example flow `name`, run it on the simulated `case` at 10 mm to its end
    and return the run panel."""

    def run(name: str, case: str = "lung"):
        assert window.open(FLOWS / name)
        panel = window.run_panel
        panel.choose_simulated(case, 10.0)
        assert panel.start()
        qtbot.waitUntil(lambda: not panel.running, timeout=180_000)
        return panel

    return run


@pytest.fixture
def lung(window):
    """A window with the lung progressive example open."""
    assert window.open(FLOWS / "lung_progressive.json")
    return window
