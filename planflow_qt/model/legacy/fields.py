"""Reading one object of a legacy file with errors that say where: `check_conditions[2] 'c_PTV': criteria: ...`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from planflow_qt.model.errors import FlowFileError
from planflow_qt.model.legacy.numbers import is_blank, parse_flag, parse_integer, parse_number

MAX_TEXT = 500
MAX_ENTRIES = 5000


class Entry:
    """A JSON object of the legacy file and its location (`section[i] 'name'`), read field by field.

    Every reader raises FlowFileError naming the file, the entry and the field when the value is malformed.
    """

    def __init__(self, data: Any, where: str, source: str, path: tuple[str, ...] = ()):
        self.where = where
        self.path = path
        self.source = source
        if not isinstance(data, dict):
            raise self.error(f"expected an object, found {_kind(data)}")
        self.data = data

    def location(self, key: str | None = None) -> str:
        """`section[i] 'name': nested.key`, or the top-level key."""
        inner = ".".join((*self.path, key) if key else self.path)
        if self.where and inner:
            return f"{self.where}: {inner}"
        return self.where or inner or "(file)"

    def error(self, message: str, key: str | None = None) -> FlowFileError:
        """A FlowFileError located at this entry (and field)."""
        return FlowFileError(self.source, f"{self.location(key)}: {message}")

    def named(self, key: str) -> Entry:
        """The same entry with its name (the text at `key`) in its location, for clearer messages."""
        name = self.data.get(key)
        if isinstance(name, str) and name.strip():
            shown = name if len(name) <= 60 else name[:57] + "..."
            self.where = f"{self.where} {shown!r}"
        return self

    def has(self, key: str) -> bool:
        """Whether the field is present and not left empty."""
        return not is_blank(self.data.get(key))

    def text(self, key: str, default: str | None = None, max_length: int = MAX_TEXT) -> str:
        """A text field, stripped; required unless a default is given."""
        value = self.data.get(key)
        if value is None:
            if default is None:
                raise self.error("missing: this field is required", key)
            return default
        if not isinstance(value, str):
            raise self.error(f"expected text, found {_kind(value)}", key)
        value = value.strip()
        if len(value) > max_length:
            raise self.error(f"longer than {max_length} characters", key)
        return value

    def number(self, key: str, default: float | None = None) -> float:
        """A number, as JSON number or text; required unless a default is given (used for empty fields too)."""
        return self._parsed(key, default, parse_number, "a number")

    def integer(self, key: str, default: int | None = None) -> int:
        """A whole number, as JSON number or text; required unless a default is given."""
        return self._parsed(key, default, parse_integer, "a whole number")

    def _parsed(self, key: str, default: Any, parse: Callable[[Any], Any], what: str) -> Any:
        value = self.data.get(key)
        if is_blank(value):
            if default is None:
                raise self.error(f"missing: {what} is required", key)
            return default
        try:
            return parse(value)
        except ValueError as exc:
            raise self.error(str(exc), key) from None

    def flag(self, key: str) -> bool:
        """A yes / no field; missing means no."""
        try:
            return parse_flag(self.data.get(key))
        except ValueError as exc:
            raise self.error(str(exc), key) from None

    def entry(self, key: str) -> Entry:
        """A nested object; missing, null or `[]` (a section never filled) reads as empty."""
        value = self.data.get(key)
        if value is None or value == []:
            value = {}
        return Entry(value, self.where, self.source, (*self.path, key))

    def entries(self, key: str, name_key: str | None = None) -> list[Entry]:
        """A list of objects, each located as `key[i]` (plus its name); missing, null or `{}` is empty."""
        value = self.data.get(key)
        if value is None or value == {}:
            return []
        if not isinstance(value, list):
            raise self.error(f"expected a list, found {_kind(value)}", key)
        if len(value) > MAX_ENTRIES:
            raise self.error(f"more than {MAX_ENTRIES} entries: not a Planning-Flow section", key)
        prefix = self.location(key)
        out = [Entry(item, f"{prefix}[{i}]", self.source) for i, item in enumerate(value)]
        return [e.named(name_key) for e in out] if name_key else out

    def texts(self, key: str) -> list[str]:
        """A list of texts (e.g. avoidance ROIs); missing or null is empty."""
        value = self.data.get(key)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.error("expected a list of names", key)
        return [v.strip() for v in value if v.strip()]

    def say(self, message: str) -> str:
        """A warning about this entry: `section[i] 'name': message`."""
        return f"{self.location()}: {message}"

    def build(self, model: type, **values: Any):
        """A pydantic model of the planning vocabulary; a refused value is a FlowFileError at this entry."""
        try:
            return model(**values)
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(str(p) for p in err['loc']) or 'value'}: {err['msg']}"
                                 for err in exc.errors()[:3])
            raise self.error(problems) from None


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return {bool: "true/false", int: "a number", float: "a number", str: "text", list: "a list",
            dict: "an object"}.get(type(value), type(value).__name__)
