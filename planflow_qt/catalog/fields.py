"""A node type's parameters as fields a planner reads: name, label, kind, unit, range, choices, when it applies.

One walker of the params models' JSON schemas, shared by the editor's properties panel, the node reference
and the report. Everything it shows is declared on the params models: units, choice labels, which case names
a field takes, the type a field applies to (`json_schema_extra`); choices are `Enum` or `Literal` members.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

CHOOSE_TEXT = "(choose)"


@dataclass
class FieldInfo:
    """One parameter as a planner sees it."""

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
    choice_labels: dict[str, str] = field(default_factory=dict)
    max_length: int | None = None
    children: list[FieldInfo] = field(default_factory=list)
    unit: str = ""
    case_names: str = ""
    """Which names of the case the field takes (`rois`, `goal_templates`, `machines`)."""
    applies_when: dict[str, list[str]] = field(default_factory=dict)
    """The field matters only when each named sibling field has one of the listed values."""
    new_row: dict[str, Any] = field(default_factory=dict)
    """For a table: the values its first added row starts with."""

    @property
    def label(self) -> str:
        """The planner's name of the field, with its unit: `dose_cgy` -> `Dose (cGy)`."""
        return label_of(self.name) + (f" ({self.unit})" if self.unit else "")

    def choice_label(self, value: Any) -> str:
        """How a choice reads: its declared label, else the value with underscores as spaces."""
        if value is None:
            return CHOOSE_TEXT
        return self.choice_labels.get(str(value), str(value).replace("_", " "))

    def applies(self, params: dict[str, Any]) -> bool:
        """Whether the field matters for these sibling values (a field whose condition is unset applies)."""
        for name, values in self.applies_when.items():
            value = params.get(name)
            if value is None:
                continue
            text = str(value).lower() if isinstance(value, bool) else str(value)
            if text not in values:
                return False
        return True


UNIT_ENDINGS = ("_cgy", "_cm", "_percent", "_deg", "_cc", "_s")
ACRONYMS = {"eud": "EUD", "roi": "ROI", "rois": "ROIs", "poi": "POI", "dvh": "DVH", "ci": "CI"}


def label_of(name: str) -> str:
    """A parameter name as a planner reads it, without its unit ending: `max_rounds` -> `Max rounds`."""
    text = name
    for ending in UNIT_ENDINGS:
        if text.endswith(ending):
            text = text[: -len(ending)]
            break
    words = [ACRONYMS.get(word, word) for word in text.split("_") if word]
    text = " ".join(words)
    return text[:1].upper() + text[1:] if text else name


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
    if "enum" in schema or "const" in schema:
        return "choice"
    if kind == "string":
        return "text"
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
                     max_length=schema.get("maxLength"), unit=prop.get("unit", ""),
                     case_names=prop.get("case_names", ""), applies_when=prop.get("applies_when", {}),
                     choice_labels=prop.get("choice_labels", {}), new_row=prop.get("new_row", {}))
    if "minimum" in schema or "exclusiveMinimum" in schema:
        info.minimum = schema.get("minimum", schema.get("exclusiveMinimum"))
        info.exclusive_min = "exclusiveMinimum" in schema
    if "maximum" in schema or "exclusiveMaximum" in schema:
        info.maximum = schema.get("maximum", schema.get("exclusiveMaximum"))
        info.exclusive_max = "exclusiveMaximum" in schema
    if kind == "choice":
        info.choices = [str(v) for v in schema.get("enum", [schema.get("const")])]
    elif kind in ("group", "table"):
        target = schema if kind == "group" else _resolve(schema.get("items", {}), root)[0]
        info.children = fields_of(target, root)
    return info


def fields_of(schema: dict[str, Any], root: dict[str, Any] | None = None) -> list[FieldInfo]:
    """The fields of an object schema, in declaration order."""
    root = root if root is not None else schema
    required = set(schema.get("required", []))
    return [field_info(name, prop, root, name in required) for name, prop in schema.get("properties", {}).items()]


def model_fields(model: type[BaseModel]) -> list[FieldInfo]:
    """The fields of a params model."""
    return fields_of(model.model_json_schema())


def find_field(fields: list[FieldInfo], path: tuple[str, ...] | list[str]) -> FieldInfo | None:
    """The field at a path of names (list indexes skipped: `arcs.0.name` finds the arcs table's name column)."""
    found = None
    for key in path:
        if str(key).isdigit():
            continue
        found = next((f for f in fields if f.name == key), None)
        if found is None:
            return None
        fields = found.children
    return found


def path_label(fields: list[FieldInfo], path: str) -> str:
    """A dotted field path as the planner reads it: `arcs.0.name` -> `Arcs, row 1: Name`."""
    parts = [p for p in path.split(".") if p != "params"]
    words, scope = [], fields
    for part in parts:
        if part.isdigit():
            words[-1] += f", row {int(part) + 1}"
            continue
        info = next((f for f in scope if f.name == part), None)
        words.append(info.label if info else label_of(part))
        scope = info.children if info else []
    return ": ".join(words) if words else path


def refusal_text(reason: str, fields: list[FieldInfo]) -> str:
    """A refusal as the planner reads it: `dose_cgy: Input should be ...` -> `Dose (cGy): input should be ...`."""
    where, sep, message = reason.partition(": ")
    if not sep:
        return reason
    return f"{path_label(fields, where)}: {message[:1].lower()}{message[1:]}"


def value_text(info: FieldInfo, value: Any) -> str:
    """A value with its unit as a planner writes it (6000 cGy, 0.98, yes, dose at volume (D))."""
    if value is None:
        return "none"
    if info.kind == "choice":
        return info.choice_label(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        return f"{value:.6g}" + (f" {info.unit}" if info.unit else "")
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "none"
    return str(value) if value != "" else "—"
