"""Installing the double as RayStation's scripting modules: `connect`, and from 2025 `raystation` and
`raystation.v2025`, in `sys.modules`, so code that imports them finds the double."""

from __future__ import annotations

import sys
import types
from typing import Any

from planflow_qt.backends.raystation.double.world import World

MODULE_NAMES = ("connect", "raystation", "raystation.v2025")
_GLOBALS = ("get_current", "CompositeAction", "await_user_input", "set_progress", "is_gui_disabled")
_ABSENT = object()
_saved: dict[str, Any] = {}


def scripting_module(world: World, name: str) -> types.ModuleType:
    """A module exposing the double's globals, as `from connect import *` expects."""
    module = types.ModuleType(name, "PlanFlow's test double of RayStation's scripting API")
    module.get_current = world.get_current
    module.CompositeAction = world.composite_action_class()
    module.await_user_input = world.await_user_input
    module.set_progress = world.set_progress
    module.is_gui_disabled = world.is_gui_disabled
    module.__all__ = list(_GLOBALS)
    module.planflow_double = world
    return module


def install_double(generation: str = "2025", case: str = "lung", grid_mm: float = 10.0, seed: int | None = None,
                   open_case: bool = True, user_continues: bool = True) -> World:
    """Install a fresh double (replacing an installed one) and return its world.

    2025 provides `connect`, `raystation` and `raystation.v2025`; 2024B only `connect` (importing
    `raystation` then fails, as it does in those RayStation versions).
    """
    uninstall_double()
    world = World(generation, case, grid_mm, seed, open_case, user_continues)
    modules: dict[str, types.ModuleType | None] = {"connect": scripting_module(world, "connect")}
    if world.profile.raystation_package:
        package = scripting_module(world, "raystation")
        package.__path__ = []
        package.v2025 = scripting_module(world, "raystation.v2025")
        modules.update({"raystation": package, "raystation.v2025": package.v2025})
    else:
        modules.update(dict.fromkeys(("raystation", "raystation.v2025")))
    for name, module in modules.items():
        _saved[name] = sys.modules.get(name, _ABSENT)
        sys.modules[name] = module
    return world


def uninstall_double() -> None:
    """Remove the double from `sys.modules`, restoring what was there before."""
    for name, previous in _saved.items():
        if previous is _ABSENT:
            sys.modules.pop(name, None)
        else:
            sys.modules[name] = previous
    _saved.clear()


def installed_world() -> World | None:
    """The world of the installed double, if any."""
    module = sys.modules.get("connect")
    return getattr(module, "planflow_double", None)
