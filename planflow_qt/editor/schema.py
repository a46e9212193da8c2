"""Reading a params model's JSON schema as editor kinds: number, integer, choice, bool, text, list, table, group."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

CHOICE_PATTERN = re.compile(r"^\^\(([^()]+)\)\$$")


@dataclass
class FieldInfo:
    """One parameter as the properties panel sees it."""

    name: str
    kind: str  # number | integer | choice | bool | text | text_list | table | group | mapping | json
    description: str = ""
    nullable: bool = False
    required: bool = False
    default: Any = None
    minimum: float | None = None
    maximum: float | None = None
    exclusive_min: bool = False
    exclusive_max: bool = False
    choices: list[str] = field(default_factory=list)
    max_length: int | None = None
    children: list[FieldInfo] = field(default_factory=list)
    case_names: str = ""
    """Which names of the case the field takes, as its params model declares (`rois`, `goal_templates`,
    `machines`)."""


def _resolve(schema: dict[str, Any], root: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """Follow `$ref` and `anyOf [X, null]`; returns the schema and whether null is allowed."""
    nullable = False
    for _ in range(8):
        if "$ref" in schema:
            schema = {**root.get("$defs", {}).get(schema["$ref"].rsplit("/", 1)[-1], {}),
                      **{k: v for k, v in schema.items() if k != "$ref"}}
        elif "anyOf" in schema:
            options = [o for o in schema["anyOf"] if o.get("type") != "null"]
            nullable = nullable or len(options) < len(schema["anyOf"])
            rest = {k: v for k, v in schema.items() if k != "anyOf"}
            schema = {**options[0], **rest} if len(options) == 1 else {**rest, "type": "json"}
        elif "allOf" in schema and len(schema["allOf"]) == 1:
            schema = {**schema["allOf"][0], **{k: v for k, v in schema.items() if k != "allOf"}}
        else:
            break
    return schema, nullable


def _kind(schema: dict[str, Any], root: dict[str, Any]) -> str:
    kind = schema.get("type")
    if "enum" in schema:
        return "choice"
    if kind == "string":
        return "choice" if CHOICE_PATTERN.match(schema.get("pattern", "")) else "text"
    if kind in ("number", "integer"):
        return kind
    if kind == "boolean":
        return "bool"
    if kind == "array":
        items, _ = _resolve(schema.get("items", {}), root)
        return "table" if "properties" in items else "text_list"
    if kind == "object" or "properties" in schema:
        if "properties" in schema:
            return "group"
        return "mapping" if isinstance(schema.get("additionalProperties"), dict) else "json"
    return "json"


def field_info(name: str, prop: dict[str, Any], root: dict[str, Any], required: bool = False) -> FieldInfo:
    """The FieldInfo of one property of a JSON schema."""
    schema, nullable = _resolve(prop, root)
    kind = _kind(schema, root)
    info = FieldInfo(name=name, kind=kind, description=prop.get("description") or schema.get("description", ""),
                     nullable=nullable, required=required, default=prop.get("default"),
                     max_length=schema.get("maxLength"), case_names=prop.get("case_names", ""))
    if "minimum" in schema or "exclusiveMinimum" in schema:
        info.minimum = schema.get("minimum", schema.get("exclusiveMinimum"))
        info.exclusive_min = "exclusiveMinimum" in schema
    if "maximum" in schema or "exclusiveMaximum" in schema:
        info.maximum = schema.get("maximum", schema.get("exclusiveMaximum"))
        info.exclusive_max = "exclusiveMaximum" in schema
    if kind == "choice":
        if "enum" in schema:
            info.choices = [str(v) for v in schema["enum"]]
        else:
            info.choices = CHOICE_PATTERN.match(schema["pattern"]).group(1).split("|")
    elif kind in ("group", "table"):
        target = schema if kind == "group" else _resolve(schema.get("items", {}), root)[0]
        info.children = fields_of(target, root)
    return info


def fields_of(schema: dict[str, Any], root: dict[str, Any] | None = None) -> list[FieldInfo]:
    """The fields of an object schema, in declaration order."""
    root = root if root is not None else schema
    required = set(schema.get("required", []))
    return [field_info(name, prop, root, name in required) for name, prop in schema.get("properties", {}).items()]
