"""The RayStation 2025 facts table (`facts_2025.json`, derived from the independent type stubs by
`tools/raystation_facts.py`): classes, their properties (with or without setter) and methods (keyword names,
types, defaults, return types), and how an annotation names the class of what a member returns."""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FACTS_FILE = Path(__file__).with_name("facts_2025.json")
_GENERIC = re.compile(r"^(\w+(?:\.\w+)?)\[(.*)\]$", re.S)


@dataclass(frozen=True)
class Parameter:
    """A keyword of a method: its name, type annotation and whether it has a default."""

    name: str
    annotation: str
    optional: bool


@dataclass(frozen=True)
class Member:
    """A property (`kind` 'property', with `setter`) or a method (`kind` 'method', with `parameters`)."""

    owner: str
    name: str
    kind: str
    annotation: str
    setter: bool = False
    parameters: tuple[Parameter, ...] = ()

    def parameter(self, name: str) -> Parameter | None:
        """The keyword `name` of this method, if it has one."""
        return next((p for p in self.parameters if p.name == name), None)


def split_arguments(text: str) -> list[str]:
    """The top-level comma-separated parts of a generic's argument list (`A, B[C, D]` -> [`A`, `B[C, D]`])."""
    parts, depth, start = [], 0, 0
    for i, char in enumerate(text):
        if char in "[(":
            depth += 1
        elif char in "])":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
    tail = text[start:].strip()
    return [*parts, tail] if tail else parts


def generic(annotation: str) -> tuple[str, list[str]]:
    """(`Union`, [args]) for `Union[...]`; (name, []) for a plain name."""
    found = _GENERIC.match(annotation.strip())
    if not found:
        return annotation.strip(), []
    return found.group(1), split_arguments(found.group(2))


class Facts:
    """The classes of the facts table, with member lookup through base classes."""

    def __init__(self, table: dict[str, Any]):
        self.classes: dict[str, dict[str, Any]] = table["classes"]
        self.functions: dict[str, dict[str, Any]] = table["functions"]

    def has_class(self, name: str) -> bool:
        return name in self.classes

    @functools.lru_cache(maxsize=4096)  # noqa: B019 - one Facts lives as long as the process
    def member(self, owner: str, name: str) -> Member | None:
        """The property or method `name` of class `owner` (or of its bases), None when the stubs lack it."""
        seen: set[str] = set()
        todo = [owner]
        while todo:
            cls = todo.pop(0)
            if cls in seen or cls not in self.classes:
                continue
            seen.add(cls)
            facts = self.classes[cls]
            if name in facts["properties"]:
                prop = facts["properties"][name]
                return Member(owner, name, "property", prop["type"], setter=prop["setter"])
            if name in facts["methods"]:
                method = facts["methods"][name]
                parameters = tuple(Parameter(n, a, d) for n, a, d in method["params"])
                return Member(owner, name, "method", method["returns"], parameters=parameters)
            todo.extend(facts["bases"])
        return None


@functools.lru_cache(maxsize=1)
def load_facts() -> Facts:
    """The committed facts table."""
    return Facts(json.loads(FACTS_FILE.read_text(encoding="utf-8")))
