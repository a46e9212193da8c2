"""The RayStation backend: the Backend protocol as RayStation scripting calls, with version adapters.

Imports no RayStation module until a backend is made; the test double lives in `double/`.
"""

from planflow_qt.backends.raystation.api import RayStationError, RayStationUnavailable
from planflow_qt.backends.raystation.backend import RayStationBackend

__all__ = ["RayStationBackend", "RayStationError", "RayStationUnavailable"]
