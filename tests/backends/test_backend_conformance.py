"""Every backend offers the Backend protocol exactly: each method with the protocol's parameter names, kinds
and defaults, and the protocol's attributes (simulated patient, RayStation on its double, recording)."""

from __future__ import annotations

import inspect

import pytest

from planflow_qt.backends.base import Backend
from planflow_qt.backends.raystation import RayStationBackend
from planflow_qt.backends.raystation.double import install_double, uninstall_double
from planflow_qt.backends.simulated import SimulatedBackend
from planflow_qt.engine.recording import RecordingBackend

METHODS = {name: inspect.signature(member) for name, member in vars(Backend).items()
           if not name.startswith("_") and callable(member)}
ATTRIBUTES = ("name", "evaluates_scenarios", "exports_dicom")


def shape(signature: inspect.Signature) -> list[tuple]:
    return [(p.name, p.kind, p.default) for p in signature.parameters.values()]


@pytest.mark.parametrize("backend_class", [SimulatedBackend, RayStationBackend, RecordingBackend])
def test_backend_follows_the_protocol(backend_class):
    assert len(METHODS) > 30
    for name, signature in METHODS.items():
        assert hasattr(backend_class, name), f"{backend_class.__name__} lacks {name}"
        assert shape(inspect.signature(getattr(backend_class, name))) == shape(signature), name
    for attribute in ATTRIBUTES:
        assert hasattr(backend_class, attribute), f"{backend_class.__name__} lacks {attribute}"


def test_instances_are_backends():
    install_double("2025-stubs")
    try:
        assert isinstance(RayStationBackend(), Backend)
    finally:
        uninstall_double()
    assert isinstance(SimulatedBackend(case="lung", grid_mm=10.0), Backend)
    assert isinstance(RecordingBackend(), Backend)
