"""What a script sees of the double: typed views checked against the facts table of the profile.

RayStation hands a script a new wrapper object on every access (`a.Plan is a.Plan` is false) whose class is
the one the API declares for that member; a member the class lacks raises `AttributeError`, a read-only
property refuses assignment, a method refuses unknown keywords, missing required ones, `None` where the type
is not optional and strings outside a `Literal`. Views do that against `ApiProfile.member`, unwrap views
passed back as arguments, and log every access (`World.accesses`) with the flow node that made it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from planflow_qt.backends.raystation.double.base import POSITIONAL, AttrDict, Collection, RsObject
from planflow_qt.backends.raystation.double.facts import Member, generic

if TYPE_CHECKING:
    from planflow_qt.backends.raystation.double.world import World

_SEQUENCES = ("ScriptObjectCollection", "List", "Sequence", "list")


def _literals(arguments: list[str]) -> set[Any]:
    values = set()
    for text in arguments:
        try:
            values.add(ast.literal_eval(text))
        except (ValueError, SyntaxError):
            continue
    return values


def value_problem(annotation: str, value: Any) -> str | None:
    """Why `value` does not fit the type `annotation` (None when it fits or the type cannot be checked)."""
    name, arguments = generic(annotation)
    if name == "Optional":
        return None if value is None else value_problem(arguments[0], value)
    if value is None:
        return None if name in ("Any", "", "object") else f"None where the API expects {annotation}"
    if name == "Literal":
        allowed = _literals(arguments)
        return None if value in allowed else f"{value!r} is not one of {', '.join(map(repr, sorted(allowed)))}"
    checks = {"str": lambda v: isinstance(v, str), "bool": lambda v: isinstance(v, bool),
              "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
              "float": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
              "List": lambda v: isinstance(v, (list, tuple)), "Dict": lambda v: isinstance(v, dict)}
    check = checks.get(name)
    if check is not None and not check(value):
        return f"{type(value).__name__} {value!r} where the API expects {annotation}"
    return None


def unwrap(value: Any) -> Any:
    """The double's own objects behind views, in arguments (also inside lists and dicts)."""
    if isinstance(value, (View, CollectionView)):
        return object.__getattribute__(value, "_target")
    if isinstance(value, list):
        return [unwrap(v) for v in value]
    if isinstance(value, tuple):
        return tuple(unwrap(v) for v in value)
    if isinstance(value, dict) and not isinstance(value, AttrDict):
        return {k: unwrap(v) for k, v in value.items()}
    return value


def _class_for(world: World, value: RsObject, name: str, arguments: list[str]) -> str | None:
    """The class a script sees: the declared one, the object's own where the declaration leaves a choice
    (a `Union`), or where the object's class specializes the declared one by name, as `IonBeamOptimizationSettings`
    does `BeamOptimizationSettings` (script wrappers carry the runtime class)."""
    own = getattr(type(value), "_stub_class", None)
    if name == "Union":
        candidates = [generic(a)[0] for a in arguments]
        if own in candidates:
            return own
        known = [c for c in candidates if world.profile.facts.has_class(c)]
        return known[0] if len(known) == 1 else own
    if own and own != name and own.endswith(name):
        return own
    return name if world.profile.facts.has_class(name) else own


def wrap(world: World, value: Any, annotation: str) -> Any:
    """`value` as the script sees it, given the declared type of the member that returned it."""
    if value is None or isinstance(value, (View, CollectionView)):
        return value
    name, arguments = generic(annotation)
    if name == "Optional":
        return wrap(world, value, arguments[0])
    if name in _SEQUENCES and arguments and isinstance(value, (Collection, list, tuple)):
        return CollectionView(world, value, arguments[0])
    if isinstance(value, RsObject):
        cls = _class_for(world, value, name, arguments)
        return View(world, value, cls) if cls else value
    return value


class View:
    """A fresh wrapper of one of the double's objects, typed as class `cls` of the facts table."""

    __slots__ = ("_cls", "_target", "_world")

    def __init__(self, world: World, target: Any, cls: str | None):
        object.__setattr__(self, "_world", world)
        object.__setattr__(self, "_target", target)
        object.__setattr__(self, "_cls", cls)

    def _access(self, name: str, kind: str, member: Member | None) -> dict[str, Any]:
        """Log an access to `member` (looked up by the caller); refuse it when the class lacks the member."""
        world, cls = self._world, self._cls
        access = world.access(kind, cls, name)
        if member is None:
            world.refuse(access, "AttributeError")
            raise AttributeError(f"'{cls}' object has no attribute '{name}'")
        return access

    def _lookup(self, name: str) -> Member | None:
        return self._world.profile.member(self._cls, name) if self._cls else None

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        member = self._lookup(name)
        if member is not None and member.kind == "method":
            return BoundMethod(self, member)
        self._access(name, "get", member)
        return wrap(self._world, getattr(self._target, name), member.annotation)

    def __setattr__(self, name: str, value: Any) -> None:
        member = self._lookup(name)
        access = self._access(name, "set", member)
        world = self._world
        if member.kind != "property" or not member.setter:
            world.refuse(access, "AttributeError")
            raise AttributeError(f"'{self._cls}' object attribute '{name}' is read-only")
        problem = value_problem(member.annotation, value)
        if problem:
            world.refuse(access, "TypeError")
            raise TypeError(f"{self._cls}.{name}: {problem}")
        setattr(self._target, name, unwrap(value))

    def __eq__(self, other: object) -> bool:
        return unwrap(other) is self._target

    def __hash__(self) -> int:
        return id(self._target)

    def __repr__(self) -> str:
        return f"<{self._cls} {self._target._path}>"


class BoundMethod:
    """A method of a view: keyword-only, checked against the method's parameters, logged."""

    def __init__(self, view: View, member: Member):
        self._view, self._member = view, member

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        view, member = self._view, self._member
        world = object.__getattribute__(view, "_world")
        cls = object.__getattribute__(view, "_cls")
        access = world.access("call", cls, member.name, sorted(kwargs))
        try:
            if args:
                raise TypeError(POSITIONAL)
            for keyword, value in kwargs.items():
                parameter = member.parameter(keyword)
                if parameter is None:
                    raise TypeError(f"{member.name}() got an unexpected keyword argument {keyword!r}")
                problem = value_problem(parameter.annotation, value)
                if problem:
                    raise TypeError(f"{member.name}(): {keyword}: {problem}")
            missing = [p.name for p in member.parameters if not p.optional and p.name not in kwargs]
            if missing:
                raise TypeError(f"{member.name}() missing required keyword argument(s): {', '.join(missing)}")
        except TypeError:
            world.refuse(access, "TypeError")
            raise
        target = object.__getattribute__(view, "_target")
        try:
            result = getattr(target, member.name)(**unwrap(kwargs))
        except Exception as exc:
            access["error"] = type(exc).__name__
            raise
        return wrap(world, result, member.annotation)


class CollectionView:
    """A collection as a script sees it: index by int or name, iteration, `len`, `in`; items typed views."""

    def __init__(self, world: World, target: Collection | list | tuple, element: str):
        self._world, self._target, self._element = world, target, element

    def __getitem__(self, key: int | str) -> Any:
        target = self._target
        if isinstance(key, str) and not isinstance(target, Collection):
            found = [item for item in target if getattr(item, "Name", None) == key]
            if not found:
                raise SystemError(f"no item named {key!r}")
            return wrap(self._world, found[0], self._element)
        return wrap(self._world, target[key], self._element)

    def __iter__(self) -> Iterator[Any]:
        return (wrap(self._world, item, self._element) for item in list(self._target))

    def __len__(self) -> int:
        return len(self._target)

    def __contains__(self, item: object) -> bool:
        item = unwrap(item)
        if isinstance(self._target, Collection):
            return item in self._target
        return any(i is item for i in self._target)

    def IndexOf(self, item: Any) -> int:
        """The position of `item` in the collection (-1 when absent)."""
        target = unwrap(item)
        return next((i for i, found in enumerate(self._target) if found is target), -1)
