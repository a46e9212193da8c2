"""The editor opened from RayStation: bound to the open case (here the test double of RayStation's API)."""

from pathlib import Path

import pytest

from planflow_qt.backends.raystation.binding import bind_current_case
from planflow_qt.backends.raystation.double import install_double, uninstall_double
from planflow_qt.editor.case_names import CaseNames

FLOWS = Path(__file__).parents[2] / "flows"


@pytest.fixture
def double():
    world = install_double("2025", case="lung", grid_mm=10.0)
    yield world
    uninstall_double()


def test_main_opens_the_editor_with_the_case_names_and_backend(double, monkeypatch):
    import planflow_qt.editor.app as app
    from planflow_qt.raystation import main

    seen = {}
    monkeypatch.setattr(app, "main", lambda flow=None, **kwargs: seen.update(flow=flow, **kwargs) or 0)
    assert main(FLOWS / "lung_single_pass.json") == 0
    assert seen["flow"] == FLOWS / "lung_single_pass.json"
    names = seen["case_names"]
    assert {"PTV", "Lungs", "Heart", "SpinalCord", "External"} <= set(names.roi_names)
    assert names.goal_templates and names.machines
    assert seen["raystation_backend_factory"]().name == "raystation"
    assert seen["title"], "the window title names the patient and case"


def test_bound_editor_offers_case_rois_and_runs_on_the_case(double, make_window, qtbot):
    binding = bind_current_case()
    window = make_window(raystation_backend_factory=binding.backend_factory, case_label=binding.case_label,
                         case_names=CaseNames(binding.roi_names, binding.goal_templates, binding.machines))
    assert window.open(FLOWS / "lung_single_pass.json")
    assert binding.case_label in window.windowTitle()
    window.properties.show_nodes(["roi-body"])
    completer = window.properties._editors[("name",)].line.completer()
    offered = [completer.model().index(i, 0).data() for i in range(completer.model().rowCount())]
    assert "External" in offered and "Lung_L" in offered
    window.properties.show_nodes(["plan"])
    machine = window.properties._editors[("machine",)].line.completer()
    assert machine.model().rowCount() == len(binding.machines)

    panel = window.run_panel
    panel.backend_combo.setCurrentIndex(panel.backend_combo.findData("raystation"))
    assert panel.start()
    qtbot.waitUntil(lambda: not panel.running, timeout=120_000)
    assert panel.outcome.result.status == "completed", panel.outcome.result.error
    assert double.recorder.count("Save") == 1
    assert double.recorder.count("RunOptimization") == 1
