"""Backends: the worlds a flow runs in. `make_backend` builds one by name without importing the others."""

from __future__ import annotations

from planflow_qt.backends.base import Backend, BackendError


def make_backend(name: str = "simulated", case: str = "lung", grid_mm: float = 5.0,
                 seed: int | None = None, patient: str | None = None) -> Backend:
    """A backend by name: `simulated` (a phantom case, or the DICOM patient in the folder `patient`; a folder
    that cannot be read raises `PatientError`) or `raystation` (the running RayStation)."""
    if name == "simulated":
        from planflow_qt.backends.simulated import SimulatedBackend

        if patient is not None:
            return SimulatedBackend.from_folder(patient, grid_mm=grid_mm)
        return SimulatedBackend(case=case, grid_mm=grid_mm, seed=seed)
    if name == "raystation":
        from planflow_qt.backends.raystation import RayStationBackend

        return RayStationBackend()
    raise BackendError(f"unknown backend {name!r}: use 'simulated' or 'raystation'")


__all__ = ["Backend", "BackendError", "make_backend"]
