"""A transparent wrapper of a backend that remembers the last call, so a failure can name it."""

from __future__ import annotations

from typing import Any

from planflow_qt.backends.base import Backend


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


class TracedBackend:
    """Forwards every attribute to the backend; calls are remembered as `name(arg=value, ...)`."""

    def __init__(self, inner: Backend):
        self.inner = inner
        self.last_call: str | None = None

    def __getattr__(self, name: str) -> Any:
        target = getattr(self.inner, name)
        if not callable(target) or name == "step":
            return target

        def traced(*args: Any, **kwargs: Any) -> Any:
            parts = [_short(a) for a in args] + [f"{k}={_short(v)}" for k, v in kwargs.items()]
            self.last_call = f"{name}({', '.join(parts)})"
            return target(*args, **kwargs)

        return traced
