"""Conditions of legacy files (COND): the metric and threshold from `criteria`, the rounds from `active_round`.

Operators are written with the characters `≥ ≤ > = ‹` (U+2039 stands for "<"); ASCII `>= <= <` are accepted too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from planflow_qt.model.legacy.fields import Entry
from planflow_qt.model.legacy.numbers import parse_number

ALWAYS_TRUE = ("Alway TRUE", "Always TRUE")
_METRICS = {"Max Dose": "max", "Min Dose": "min", "Max Dmean": "mean", "Min Dmean": "mean",
            "Max DaV": "dose_at_volume", "Min DaV": "dose_at_volume",
            "Max VaD": "volume_at_dose", "Min VaD": "volume_at_dose"}
TYPES = (ALWAYS_TRUE[0], *_METRICS)
_OPERATORS = {"≥": ">=", ">=": ">=", "≤": "<=", "<=": "<=", ">": ">", "=": "=", "‹": "<", "<": "<"}
_OP = r"(≥|≤|>=|<=|‹|<|>|=)"
_NUM = r"([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d{1,3})?)"
_STATISTIC = re.compile(r"\s*D\s*(max|min|mean)\s*(?:\(\s*cGy\s*\))?\s*" + _OP + r"\s*" + _NUM + r"\s*(?:cGy)?\s*",
                        re.IGNORECASE)
_DOSE_AT_VOLUME = re.compile(r"\s*D\s*" + _NUM + r"\s*(%|cc)\s*" + _OP + r"\s*" + _NUM + r"\s*cGy\s*", re.IGNORECASE)
_VOLUME_AT_DOSE = re.compile(r"\s*V\s*" + _NUM + r"\s*cGy\s*" + _OP + r"\s*" + _NUM + r"\s*(%|cc)\s*", re.IGNORECASE)
_ROUND = re.compile(r"\s*" + _OP + r"?\s*(\d{1,9})\s*")
BEYOND_ANY_LOOP = 1000
"""Rounds past this never happen (a loop runs at most 200 rounds)."""


@dataclass
class Condition:
    """A legacy condition as a node: `cond.dvh` on `roi`, or `cond.round` (true whenever it runs); `rounds` are
    the node's active rounds, None when it is never active."""

    entry: Entry
    name: str
    type_id: str
    params: dict[str, Any]
    rounds: str | None
    roi: str | None = None


def parse_rounds_symbol(text: str) -> str | None:
    """`"≥ 1"` -> `"all"`, `"= 3"` -> `"3"`, `"‹ 3"` -> `"<3"`, ... as a PlanFlow round set; None if no round.

    ValueError for text that is not an operator and a whole number.
    """
    if text.strip().lower() in ("", "all"):
        return "all"
    match = _ROUND.fullmatch(text)
    if match is None:
        raise ValueError(f"{text!r} is not an operator (≥ ≤ > = ‹) and a round number")
    op, n = _OPERATORS[match.group(1) or "="], int(match.group(2))
    beyond = n > BEYOND_ANY_LOOP
    if op == ">=":
        return None if beyond else "all" if n <= 1 else f">={n}"
    if op == ">":
        return None if beyond else "all" if n < 1 else f">{n}"
    if op == "=":
        return None if beyond or n < 1 else str(n)
    if op == "<=":
        return None if n < 1 else "all" if beyond else f"<={n}"
    return None if n <= 1 else "all" if beyond else f"<{n}"


def parse_condition(entry: Entry) -> Condition:
    """A COND entry; malformed criteria or an unknown type is a FlowFileError naming the condition."""
    name = entry.text("name", "", max_length=64)
    type_text = entry.text("type")
    symbol = entry.data.get("active_round")
    symbol = str(symbol) if isinstance(symbol, int) and not isinstance(symbol, bool) else entry.text("active_round",
                                                                                                    "all")
    try:
        rounds = parse_rounds_symbol(symbol)
    except ValueError as exc:
        raise entry.error(str(exc), "active_round") from None
    if type_text in ALWAYS_TRUE:
        return Condition(entry, name, "cond.round", {"rounds": "all"}, rounds)
    metric = _METRICS.get(type_text)
    if metric is None:
        raise entry.error(f"unknown condition type {type_text!r}; known: {', '.join(TYPES)}", "type")
    roi = entry.text("roi", max_length=64)
    if not roi or roi == "N/A":
        raise entry.error(f"a {type_text} condition needs an ROI", "roi")
    criteria = entry.text("criteria")
    try:
        params = _criteria(metric, type_text, criteria)
    except ValueError as exc:
        raise entry.error(f"cannot read {criteria!r} as a {type_text} condition: {exc}", "criteria") from None
    return Condition(entry, name, "cond.dvh", {"name": name, **params}, rounds, roi)


def _criteria(metric: str, type_text: str, text: str) -> dict[str, Any]:
    """cond.dvh parameters (metric, volume, dose, unit, comparison, threshold) from the criteria text."""
    if metric == "dose_at_volume":
        match = _fullmatch(_DOSE_AT_VOLUME, text, "D{volume}{% or cc} {operator} {dose} cGy")
        volume, unit = _bounded(match.group(1), "volume"), match.group(2).lower()
        if unit == "%" and volume > 100:
            raise ValueError(f"volume {volume:g} % is over 100 %")
        return {"metric": metric, "volume": volume, "volume_unit": unit,
                "comparison": _OPERATORS[match.group(3)], "threshold": _bounded(match.group(4), "dose")}
    if metric == "volume_at_dose":
        match = _fullmatch(_VOLUME_AT_DOSE, text, "V{dose} cGy {operator} {volume}{% or cc}")
        return {"metric": metric, "dose_cgy": _bounded(match.group(1), "dose"),
                "volume_unit": match.group(4).lower(), "comparison": _OPERATORS[match.group(2)],
                "threshold": _bounded(match.group(3), "volume")}
    match = _fullmatch(_STATISTIC, text, f"D{metric} (cGy) {{operator}} {{dose}}")
    if match.group(1).lower() != metric:
        raise ValueError(f"it measures D{match.group(1).lower()}, but the type is {type_text}")
    return {"metric": metric, "comparison": _OPERATORS[match.group(2)], "threshold": _bounded(match.group(3), "dose")}


def _fullmatch(pattern: re.Pattern[str], text: str, form: str) -> re.Match[str]:
    match = pattern.fullmatch(text)
    if match is None:
        raise ValueError(f"expected the form '{form}'")
    return match


def _bounded(text: str, what: str) -> float:
    """A dose (0-50000 cGy) or volume (0-100000 % or cc) of a criterion."""
    value = parse_number(text)
    limit = 50000 if what == "dose" else 100000
    if not 0 <= value <= limit:
        raise ValueError(f"{what} {value:g} is outside 0-{limit}")
    return value
