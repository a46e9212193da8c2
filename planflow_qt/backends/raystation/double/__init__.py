"""A test double of RayStation's scripting API (`connect`, `raystation`, `raystation.v2025`).

Keyword-only methods with the argument names of `reference/raystation_api.md` per API generation,
`SystemError` for RayStation's refusals, collections by index and name, a recorded call log with scripted
faults, and dose numbers from the simulated backend. Needs the `sim` extra (SciPy).
"""

from planflow_qt.backends.raystation.double.install import install_double, installed_world, uninstall_double
from planflow_qt.backends.raystation.double.profiles import PROFILES, ApiProfile
from planflow_qt.backends.raystation.double.recorder import Call, Recorder
from planflow_qt.backends.raystation.double.world import MACHINES, World

__all__ = ["MACHINES", "PROFILES", "ApiProfile", "Call", "Recorder", "World", "install_double",
           "installed_world", "uninstall_double"]
