"""The double's call log: every method call, property assignment and global function, in order."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Call:
    """One recorded call. `kind`: `call` (an API method), `set` (a property assignment), `get` (a read of a
    feedback value) or `global` (get_current, CompositeAction, await_user_input, set_progress)."""

    path: str
    method: str
    kwargs: dict[str, Any]
    kind: str = "call"
    error: str | None = None

    def __str__(self) -> str:
        if self.kind == "set":
            return f"{self.path}.{self.method} = {self.kwargs['value']!r}"
        if self.kind == "get":
            return f"{self.path}.{self.method} -> {self.kwargs.get('value')!r}"
        args = ", ".join(f"{k}={v!r}" for k, v in self.kwargs.items())
        prefix = f"{self.path}." if self.path else ""
        return f"{prefix}{self.method}({args})" + (f"  -> {self.error}" if self.error else "")


@dataclass
class _Failure:
    method: str
    nth: int
    message: str


@dataclass
class Recorder:
    """Records calls; `fail_on` makes the n-th call of a method raise `SystemError` (fault tests)."""

    calls: list[Call] = field(default_factory=list)
    _failures: list[_Failure] = field(default_factory=list)

    def record(self, path: str, method: str, kwargs: dict[str, Any], kind: str = "call") -> Call:
        """Append a call to the log and return it (its `error` is filled in if it fails)."""
        call = Call(path, method, dict(kwargs), kind)
        self.calls.append(call)
        return call

    def fail_on(self, method: str, nth: int = 1, message: str = "") -> None:
        """Make the `nth` call of `method` (counted from the start of the log) raise `SystemError`."""
        self._failures.append(_Failure(method, nth, message or f"{method} failed (scripted fault)"))

    def check_failure(self, call: Call) -> None:
        """Raise the scripted `SystemError` if `call` is one that must fail."""
        for failure in self._failures:
            if failure.method == call.method and self.count(call.method) == failure.nth:
                raise SystemError(failure.message)

    def count(self, method: str) -> int:
        """How many times `method` was called or set."""
        return sum(1 for c in self.calls if c.method == method)

    def of(self, method: str) -> list[Call]:
        """The calls of one method (or assignments of one property), in order."""
        return [c for c in self.calls if c.method == method]

    def methods(self, kind: str | None = None) -> list[str]:
        """Method names in order, optionally of one kind only."""
        return [c.method for c in self.calls if kind is None or c.kind == kind]

    def index(self, method: str, nth: int = 1) -> int:
        """Position in the log of the `nth` call of `method` (ValueError if there is none)."""
        seen = 0
        for i, call in enumerate(self.calls):
            if call.method == method:
                seen += 1
                if seen == nth:
                    return i
        raise ValueError(f"{method} was called {seen} time(s), not {nth}")

    def clear(self) -> None:
        """Forget the calls so far (scripted failures stay)."""
        self.calls.clear()

    def dump(self) -> str:
        """The log as text, one call per line."""
        return "\n".join(str(c) for c in self.calls)
