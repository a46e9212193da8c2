"""A test double of RayStation's scripting API (`connect`, `raystation`, `raystation.v2025`).

A script sees typed wrappers checked against a profile (`profiles.PROFILES`: the 2025 stubs' facts table,
exactly or with what public 2025 / 2024B scripts show): keyword-only methods, read-only properties,
`SystemError` for RayStation's refusals, collections by index and name; the double records every call with
scripted faults, logs every access of the script (`World.accesses`), and computes dose numbers with the
simulated backend. Needs the `sim` extra (SciPy).
"""

from planflow_qt.backends.raystation.double.install import install_double, installed_world, uninstall_double
from planflow_qt.backends.raystation.double.profiles import PROFILES, ApiProfile
from planflow_qt.backends.raystation.double.recorder import Call, Recorder
from planflow_qt.backends.raystation.double.world import MACHINES, World

__all__ = ["MACHINES", "PROFILES", "ApiProfile", "Call", "Recorder", "World", "install_double",
           "installed_world", "uninstall_double"]
