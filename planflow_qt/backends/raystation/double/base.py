"""What every object of the double shares: keyword-only methods, typed properties and collections.

RayStation methods take named arguments only (a positional one raises `TypeError("Method must be called with
named arguments.")`), refuse unknown keywords, and report their own errors as `SystemError`. Properties check
their type as the .NET objects behind RayStation do. Every call and assignment is recorded.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from planflow_qt.backends.base import BackendError

if TYPE_CHECKING:
    from planflow_qt.backends.raystation.double.world import World

POSITIONAL = "Method must be called with named arguments."


def rs_method(fn: Callable[..., Any]) -> Callable[..., Any]:
    """An API method of the double: keyword-only, recorded, its refusals raised as `SystemError`.

    Which keywords it takes is the profile's business: the typed views (`views.py`) check them against the
    facts table before the call arrives here.
    """
    method = fn.__name__

    @functools.wraps(fn)
    def wrapper(self: RsObject, *args: Any, **kwargs: Any) -> Any:
        world = self._world
        call = world.recorder.record(self._path, method, kwargs)
        try:
            if args:
                raise TypeError(POSITIONAL)
            world.recorder.check_failure(call)
            try:
                return fn(self, **kwargs)
            except (BackendError, ValueError) as exc:
                raise SystemError(str(exc)) from None
        except Exception as exc:
            call.error = f"{type(exc).__name__}: {exc}"
            raise

    return wrapper


class Prop:
    """A settable property of a given type (`float` also takes int; bool is never a number), recorded."""

    def __init__(self, kind: type, default: Any = None, check: Callable[[Any], str | None] | None = None,
                 nullable: bool = False):
        self.kind, self.default, self.check, self.nullable = kind, default, check, nullable
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is None:
            return self
        return obj.__dict__.get(self.name, self.default)

    def _type_ok(self, value: Any) -> bool:
        if value is None:
            return self.nullable
        if self.kind is float:
            return isinstance(value, (int, float)) and not isinstance(value, bool)
        if self.kind is int:
            return isinstance(value, int) and not isinstance(value, bool)
        return isinstance(value, self.kind)

    def __set__(self, obj: RsObject, value: Any) -> None:
        call = obj._world.recorder.record(obj._path, self.name, {"value": value}, kind="set")
        try:
            if not self._type_ok(value):
                raise TypeError(f"{self.name} expects {self.kind.__name__}, not {type(value).__name__} "
                                f"({value!r})")
            problem = self.check(value) if self.check else None
            if problem:
                raise SystemError(f"{self.name}: {problem}")
        except Exception as exc:
            call.error = f"{type(exc).__name__}: {exc}"
            raise
        obj.__dict__[self.name] = float(value) if self.kind is float and value is not None else value


def at_least(low: float, high: float | None = None) -> Callable[[Any], str | None]:
    """A property check: the value lies in [low, high]."""
    def check(value: float) -> str | None:
        if value < low or (high is not None and value > high):
            return f"{value!r} is outside {low:g}-{high:g}" if high is not None else f"{value!r} is below {low:g}"
        return None
    return check


class RsObject:
    """Base of the double's objects: knows its world and its path (`case.PatientModel...`) for the log.

    `_stub_class` names its class in the facts table (where the declared type leaves a choice, e.g. a
    `Union` of beam classes). Only `Prop` attributes can be assigned.
    """

    _stub_class: str | None = None

    def __init__(self, world: World, path: str):
        object.__setattr__(self, "_world", world)
        object.__setattr__(self, "_path", path)

    def __setattr__(self, name: str, value: Any) -> None:
        if name.startswith("_"):
            object.__setattr__(self, name, value)
            return
        if not isinstance(getattr(type(self), name, None), Prop):
            raise AttributeError(f"'{type(self).__name__}' object attribute '{name}' is read-only")
        object.__setattr__(self, name, value)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._path}>"


class Collection(RsObject):
    """A RayStation collection: index by int or name, `len`, iteration, `name in`, `.Keys`."""

    def __init__(self, world: World, path: str, key: str | Callable[[Any], str] | None = "Name",
                 items: list[Any] | None = None):
        super().__init__(world, path)
        self._items: list[Any] = list(items or [])
        self._key = key

    def _name(self, item: Any) -> str | None:
        if self._key is None:
            return None
        return self._key(item) if callable(self._key) else getattr(item, self._key)

    def __getitem__(self, index: int | str) -> Any:
        if isinstance(index, int):
            return self._items[index]
        for item in self._items:
            if self._name(item) == index:
                return item
        raise SystemError(f"{self._path} has no item named {index!r}")

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[Any]:
        return iter(list(self._items))

    def __contains__(self, item: Any) -> bool:
        if isinstance(item, str):
            return any(self._name(i) == item for i in self._items)
        return any(i is item for i in self._items)

    @property
    def Keys(self) -> list[str]:
        return [self._name(i) for i in self._items]

    def _add(self, item: Any) -> Any:
        self._items.append(item)
        return item

    def _remove(self, item: Any) -> None:
        self._items = [i for i in self._items if i is not item]


def number(value: Any, what: str, low: float | None = None, high: float | None = None) -> float:
    """A number argument, `SystemError` when it is not one or lies outside [low, high]."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SystemError(f"{what} must be a number, not {value!r}")
    if (low is not None and value < low) or (high is not None and value > high):
        raise SystemError(f"{what} = {value!r} is outside {low:g}-{high:g}")
    return float(value)


def position(value: Any, what: str) -> tuple[float, float, float]:
    """An {x, y, z} dict (cm) as a tuple, `SystemError` otherwise."""
    if not isinstance(value, dict) or set(value) != {"x", "y", "z"}:
        raise SystemError(f"{what} must be a dict with keys x, y, z (cm)")
    return tuple(number(value[k], f"{what}[{k!r}]") for k in "xyz")  # type: ignore[return-value]


class AttrDict(dict):
    """A dict whose keys read as attributes too (`c.x` and `c['x']`), as RayStation's point results."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


def point(x: float, y: float, z: float) -> AttrDict:
    """A point {x, y, z} (cm) readable as `.x` and `['x']`."""
    return AttrDict(x=float(x), y=float(y), z=float(z))
