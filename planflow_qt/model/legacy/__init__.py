"""Import of legacy Planning-Flow JSON files (the Tkinter tool for RayStation) as PlanFlow flows.

`convert_legacy(data)` turns a parsed file into a flow that runs in the legacy tool's order and lists what it
could not carry over; `load_any(path)` reads either kind of file; `is_legacy(data)` tells them apart.
"""

from planflow_qt.model.legacy.convert import convert_legacy, is_legacy, load_any

__all__ = ["convert_legacy", "is_legacy", "load_any"]
