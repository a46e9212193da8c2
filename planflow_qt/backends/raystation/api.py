"""RayStation's scripting module: `raystation` (RayStation 2025 and later), else `connect`.

The globals PlanFlow uses are `get_current`, `CompositeAction`, `await_user_input` and `set_progress`.
Failed RayStation calls become `RayStationError`, which names the call and its arguments.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

from planflow_qt.backends.base import BackendError

log = logging.getLogger(__name__)


class RayStationUnavailable(BackendError):
    """Neither `raystation` nor `connect` can be imported: not running inside RayStation."""


class RayStationError(BackendError):
    """A RayStation call failed; the message names the call, its arguments and RayStation's error."""

    def __init__(self, call: str, error: BaseException):
        super().__init__(f"RayStation refused {call}: {type(error).__name__}: {error}")
        self.call, self.error = call, error


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 70 else text[:67] + "..."


def describe_call(label: str, method: str, kwargs: dict[str, Any]) -> str:
    """`label.Method(Name=value, ...)`, each value shortened, for messages and logs."""
    return f"{label}.{method}({', '.join(f'{k}={_short(v)}' for k, v in kwargs.items())})"


@dataclass(frozen=True)
class Scripting:
    """The globals of RayStation's scripting module, and which module provided them."""

    module: str
    get_current: Callable[[str], Any]
    CompositeAction: Callable[[str], AbstractContextManager[Any]]
    await_user_input: Callable[[str], None]
    set_progress: Callable[..., None]

    def current(self, kind: str) -> Any | None:
        """The current `kind` ('Case', 'Plan', 'PatientDB', 'ui'...), or None when nothing is current."""
        try:
            return self.get_current(kind)
        except SystemError:
            return None


def find_scripting() -> Scripting:
    """Import RayStation's scripting API: `raystation` (with `raystation.v2025.get_current`), else `connect`."""
    try:
        module = importlib.import_module("raystation")
        get_current = importlib.import_module("raystation.v2025").get_current
        name = "raystation"
    except ImportError:
        try:
            module = importlib.import_module("connect")
        except ImportError:
            raise RayStationUnavailable(
                "RayStation's scripting module was not found (neither 'raystation' nor 'connect' can be "
                "imported): run this from RayStation's script console, or install the test double "
                "(planflow_qt.backends.raystation.double.install_double) to try it offline") from None
        get_current, name = module.get_current, "connect"
    log.debug("RayStation scripting API from %r", name)
    return Scripting(name, get_current, module.CompositeAction, module.await_user_input, module.set_progress)
