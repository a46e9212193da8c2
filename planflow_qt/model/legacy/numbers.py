"""Lenient numbers of legacy files: `"181.0"`, `"4140"`, `2`, `"1.000e-5"`, but never NaN, infinity or huge values.

Planning-Flow saved almost every number as text and a few as JSON numbers; both are accepted here.
"""

from __future__ import annotations

import math
import re

_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d{1,3})?")
LIMIT = 1e9
"""No legacy quantity (cGy, cm, %, cc, degrees, counts) comes near this; larger values are refused."""

_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no", ""}


def parse_number(value: object) -> float:
    """A finite number from an int, a float or numeric text; ValueError says what is wrong."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError(f"{_show(value)} is not a number")
    if isinstance(value, str):
        text = value.strip()
        if len(text) > 40 or not _NUMBER.fullmatch(text):
            raise ValueError(f"{_show(value)} is not a number")
        number = float(text)
    elif isinstance(value, int):
        if abs(value) > LIMIT:
            raise ValueError(f"{_show(value)} is too large")
        number = float(value)
    else:
        number = value
    if not math.isfinite(number) or abs(number) > LIMIT:
        raise ValueError(f"{_show(value)} is not a finite number of sensible size")
    return number


def parse_integer(value: object) -> int:
    """A whole number (`"40"`, `40`, `"40.0"`); ValueError for fractions and non-numbers."""
    number = parse_number(value)
    if not number.is_integer():
        raise ValueError(f"{_show(value)} is not a whole number")
    return int(number)


def is_blank(value: object) -> bool:
    """Whether a field was left empty: missing, null or blank text."""
    return value is None or (isinstance(value, str) and not value.strip())


def parse_flag(value: object) -> bool:
    """A yes / no field: a JSON boolean, or `"True"` / `"False"` / `"1"` / `"0"` / `""` as text."""
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise ValueError(f"{_show(value)} is not true or false")


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
