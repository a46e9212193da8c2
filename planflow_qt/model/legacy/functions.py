"""Optimization functions of legacy files (FUNC): the parameters are parsed from the human `description`.

Templates, by type: `Min Dose 3933 cGy`; `Max DVH 2000 cGy to 30% volume` (or `to 0.1cc volume`);
`Max EUD 2500 cGy, Parameter A -150`; `Dose fall-off [H] 4140 cGy [L] 2070 cGy, Low dose distance 1.5 cm`;
`Uniformity Constraint Rel.std.dev 3 %`.
"""

from __future__ import annotations

import re

from planflow_qt.model.legacy.fields import Entry
from planflow_qt.model.legacy.numbers import parse_number
from planflow_qt.model.planning import DVH_TYPES, EUD_TYPES, FunctionSpec, FunctionType

TYPES = {
    "Min Dose": FunctionType.MIN_DOSE, "Max Dose": FunctionType.MAX_DOSE, "Uniform Dose": FunctionType.UNIFORM_DOSE,
    "Min DVH": FunctionType.MIN_DVH, "Max DVH": FunctionType.MAX_DVH, "Min EUD": FunctionType.MIN_EUD,
    "Max EUD": FunctionType.MAX_EUD, "Target EUD": FunctionType.TARGET_EUD,
    "Dose fall-off": FunctionType.DOSE_FALL_OFF, "Uniformity Constraint": FunctionType.UNIFORMITY_CONSTRAINT,
}
ALL_BEAMS_INDIVIDUALLY = "All beams individually"

_NUM = r"([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d{1,3})?)"
_DOSE = re.compile(_NUM + r"\s*cGy", re.IGNORECASE)
_VOLUME = re.compile(r"to\s*" + _NUM + r"\s*(%|cc)\s*volume", re.IGNORECASE)
_EUD_A = re.compile(r"Parameter\s*A\s*" + _NUM, re.IGNORECASE)
_HIGH = re.compile(r"\[H\]\s*" + _NUM + r"\s*cGy", re.IGNORECASE)
_LOW = re.compile(r"\[L\]\s*" + _NUM + r"\s*cGy", re.IGNORECASE)
_DISTANCE = re.compile(r"Low\s*dose\s*distance\s*" + _NUM + r"\s*cm", re.IGNORECASE)
_STD_DEV = re.compile(r"std\.?\s*dev\.?\s*" + _NUM + r"\s*%", re.IGNORECASE)


def _find(pattern: re.Pattern[str], text: str, what: str) -> re.Match[str]:
    match = pattern.search(text)
    if match is None:
        raise ValueError(f"no {what} in it")
    return match


def _value(match: re.Match[str], group: int = 1) -> float:
    return parse_number(match.group(group))


def parse_description(function_type: FunctionType, text: str) -> dict[str, float | None]:
    """The parameters a description states, as FunctionParameters fields; ValueError if one is missing."""
    if function_type is FunctionType.DOSE_FALL_OFF:
        return {"high_dose_cgy": _value(_find(_HIGH, text, "'[H] ... cGy' high dose")),
                "low_dose_cgy": _value(_find(_LOW, text, "'[L] ... cGy' low dose")),
                "low_dose_distance_cm": _value(_find(_DISTANCE, text, "'Low dose distance ... cm'"))}
    if function_type is FunctionType.UNIFORMITY_CONSTRAINT:
        return {"std_dev_percent": _value(_find(_STD_DEV, text, "'Rel.std.dev ... %'"))}
    values: dict[str, float | None] = {"dose_cgy": _value(_find(_DOSE, text, "'... cGy' dose"))}
    if function_type in DVH_TYPES:
        volume = _find(_VOLUME, text, "'to ...% volume' or 'to ...cc volume'")
        key = "volume_percent" if volume.group(2) == "%" else "volume_cc"
        values[key] = _value(volume)
    if function_type in EUD_TYPES:
        values["eud_a"] = _value(_find(_EUD_A, text, "'Parameter A ...'"))
    return values


def parse_function(entry: Entry, beam_names: dict[str, str], warnings: list[str]) -> FunctionSpec:
    """A FUNC entry (initial function or adjustment) as a FunctionSpec whose ROI is the flow's ROI name.

    `beam_names` maps the legacy beam names to the flow's; what cannot be carried over is a warning.
    """
    type_text = entry.text("type")
    function_type = TYPES.get(type_text)
    if function_type is None:
        raise entry.error(f"unknown function type {type_text!r}; known: {', '.join(TYPES)}", "type")
    roi = entry.text("roi", max_length=64)
    if not roi:
        raise entry.error("no ROI: every function needs one", "roi")
    description = entry.text("description")
    try:
        values = parse_description(function_type, description)
    except ValueError as exc:
        raise entry.error(f"cannot read {description!r} as a {type_text} function: {exc}", "description") from None
    kind = entry.text("objective_constraint", "Objective")
    if kind.lower() not in ("objective", "constraint", ""):
        raise entry.error(f"{kind!r} is neither 'Objective' nor 'Constraint'", "objective_constraint")
    constraint = kind.lower() == "constraint"
    if function_type is FunctionType.UNIFORMITY_CONSTRAINT and not constraint:
        warnings.append(entry.say("a Uniformity Constraint is always a constraint: made one"))
        constraint = True
    weight = 1.0
    if not constraint:
        if entry.has("weight"):
            weight = entry.number("weight")
        else:
            warnings.append(entry.say("objective without a weight: weight 1 used"))
    return entry.build(FunctionSpec, type=function_type, roi=roi, tag=entry.text("tag", "", max_length=64),
                       weight=weight, constraint=constraint, robust=entry.flag("is_robust"),
                       beams=_beams(entry, beam_names, warnings), **values)


def _beams(entry: Entry, beam_names: dict[str, str], warnings: list[str]) -> list[str]:
    """The beam restriction: none unless `restrict_to_beam` is set, whatever `selected_beam` says."""
    if not entry.flag("restrict_to_beam"):
        return []
    selected = entry.text("selected_beam", "")
    if selected == ALL_BEAMS_INDIVIDUALLY:
        warnings.append(entry.say("'All beams individually' cannot be carried over: the function applies to the "
                                  "whole beam set"))
        return []
    if selected not in beam_names:
        warnings.append(entry.say(f"restricted to beam {selected!r}, which is not a beam of the flow: the "
                                  "restriction is dropped"))
        return []
    return [beam_names[selected]]
