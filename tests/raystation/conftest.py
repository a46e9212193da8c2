"""Fixtures: the RayStation double installed on a coarse simulated lung, the backend on it, quick flows."""

from __future__ import annotations

from pathlib import Path

import pytest

from planflow_qt.backends.raystation import RayStationBackend
from planflow_qt.backends.raystation.double import install_double, uninstall_double
from planflow_qt.model.files import load_flow

FLOWS = Path(__file__).parents[2] / "flows"


@pytest.fixture
def install():
    """Install a double (`install(generation, **options)`), removed again after the test."""
    yield lambda generation="2025", **options: install_double(generation, **{"grid_mm": 10.0, **options})
    uninstall_double()


@pytest.fixture
def double(install):
    """The 2025 double on the lung phantom (10 mm grid)."""
    return install("2025")


@pytest.fixture
def backend(double):
    return RayStationBackend()


@pytest.fixture
def quick_flow():
    """An example flow with its optimizations cut to a few iterations (`quick_flow(name, iterations=10)`)."""
    def load(name: str, iterations: int = 10):
        flow = load_flow(FLOWS / name)
        for node in flow.nodes:
            if node.type == "opt.settings":
                node.params = {**node.params, "iterations": iterations}
        return flow
    return load
