"""A transparent wrapper of a backend that remembers the last call, so a failure can name it, and keeps the
changes ledger: every call that changes the case, made by which node."""

from __future__ import annotations

from typing import Any

from planflow_qt.backends.base import Backend
from planflow_qt.engine.ledger import CHANGES, ChangeLedger, bind_call


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


class TracedBackend:
    """Forwards every attribute to the backend; calls are remembered as `name(arg=value, ...)`, and those
    that change the case go into `ledger`."""

    def __init__(self, inner: Backend, ledger: ChangeLedger | None = None):
        self.inner = inner
        self.last_call: str | None = None
        self.ledger = ledger if ledger is not None else ChangeLedger()

    def __getattr__(self, name: str) -> Any:
        target = getattr(self.inner, name)
        if not callable(target) or name == "step":
            return target

        def traced(*args: Any, **kwargs: Any) -> Any:
            parts = [_short(a) for a in args] + [f"{k}={_short(v)}" for k, v in kwargs.items()]
            self.last_call = f"{name}({', '.join(parts)})"
            if name not in CHANGES:
                result = target(*args, **kwargs)
                self.ledger.remember(name, result)
                return result
            bound = bind_call(name, args, kwargs)
            try:
                result = target(*args, **kwargs)
            except BaseException:
                self.ledger.record(name, bound, failed=True)
                raise
            self.ledger.record(name, bound, failed=False)
            return result

        return traced
