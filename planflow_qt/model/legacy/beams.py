"""Beams of legacy files: VMAT arcs and IMPT (pencil-beam scanning) beams with their computation settings."""

from __future__ import annotations

from typing import Any

from planflow_qt.model.legacy.fields import Entry
from planflow_qt.model.planning import Arc, Direction, ProtonBeam

MAX_NAME = 16
_DIRECTIONS = {"CW": Direction.CW, "CCW": Direction.CCW}
_NO_SNOUT = ("", "NONE", "(None)")
_NO_RANGE_SHIFTER = ("", "(None)", "NONE")
_SCALED = "Automatic with scale"
_COMP_DEFAULTS: dict[str, Any] = {
    "range_shifter_selection": "Automatic", "spot_pattern": "Hexagonal", "angle": 0.0,
    "min_radiologic_depth": 0.0, "max_radiologic_depth": 0.0, "avoidance_rois": [],
    "avoidance_proximal_margin": 0.0, "layer_repainting_method": "No. of paintings", "layer_repainting_value": 1.0,
}
"""Computation settings PlanFlow has no field for, with the value Planning-Flow used when left alone."""


def _angle(entry: Entry, key: str, default: float | None = None) -> float:
    """An angle in degrees, brought into 0-360 (360 and -10 are the same angles as 0 and 350); beyond a
    full turn either way it is a typing error, refused rather than guessed at."""
    angle = entry.number(key, default)
    if not -360.0 <= angle <= 360.0:
        raise entry.error(f"{angle:g} degrees is more than a full turn: give an angle from 0 to 360", key)
    return angle % 360.0


def beam_name(entry: Entry, index: int, used: set[str], warnings: list[str]) -> str:
    """The flow's name of a legacy beam: its name if it fits RayStation's 16 characters and is new."""
    legacy = entry.text("beam_name", "")
    name = legacy or f"Beam_{index + 1}"
    if len(name) > MAX_NAME:
        name = name[:MAX_NAME]
        warnings.append(entry.say(f"beam name longer than {MAX_NAME} characters: named {name!r}"))
    if name in used:
        n = 2
        while f"{name[:MAX_NAME - 1 - len(str(n))]}_{n}" in used:
            n += 1
        name = f"{name[:MAX_NAME - 1 - len(str(n))]}_{n}"
        warnings.append(entry.say(f"a beam of that name exists already: named {name!r}"))
    used.add(name)
    return name


def parse_arc(entry: Entry, name: str) -> Arc:
    """A `vmat_beam` entry as an Arc."""
    rotation = entry.text("rotation", "CW").upper()
    if rotation not in _DIRECTIONS:
        raise entry.error(f"{rotation!r} is neither 'CW' nor 'CCW'", "rotation")
    energy = entry.data.get("energy", "6")
    if not isinstance(energy, str):
        energy = f"{entry.number('energy'):g}"
    return entry.build(Arc, name=name, energy=energy.strip() or "6", direction=_DIRECTIONS[rotation],
                       gantry_start_deg=_angle(entry, "gantry_start"), gantry_stop_deg=_angle(entry, "gantry_stop"),
                       collimator_deg=_angle(entry, "collimator", 0.0), couch_deg=_angle(entry, "couch", 0.0))


def parse_proton_beam(entry: Entry, name: str, warnings: list[str]) -> ProtonBeam:
    """An `impt_beam` entry as a ProtonBeam; computation settings PlanFlow cannot hold are warnings."""
    snout = entry.text("snout", "")
    range_shifter = entry.text("range_shifter", "")
    values: dict[str, Any] = {
        "name": name, "gantry_deg": _angle(entry, "gantry"), "couch_deg": _angle(entry, "couch", 0.0),
        "snout": "" if snout in _NO_SNOUT else snout,
        "range_shifter": "" if range_shifter in _NO_RANGE_SHIFTER else range_shifter}
    comp = entry.entry("comp_settings")
    lost: list[str] = []
    for method_key, scale_key, field in (("energy_layer_spacing_method", "energy_layer_spacing_scale",
                                          "layer_spacing_scale"),
                                         ("spot_spacing_method", "spot_spacing_scale", "spot_spacing_scale")):
        method = comp.text(method_key, _SCALED) or _SCALED
        if method == _SCALED:
            values[field] = comp.number(scale_key, 1.0)
        else:
            lost.append(f"{method_key} {method!r}")
    values["proximal_layers"] = comp.integer("proximal_margin", 1)
    values["distal_layers"] = comp.integer("distal_margin", 1)
    lateral = comp.text("lateral_margin_method", _SCALED) or _SCALED
    scale = comp.number("lateral_margin_scale", 1.0)
    if lateral != _SCALED or scale != 1.0:
        lost.append(f"lateral margin {lateral!r} {scale:g} (PlanFlow sets it in cm: 0.5 cm used)")
    lost += _unsupported(comp)
    if lost:
        warnings.append(entry.say("computation settings not carried over: " + "; ".join(lost)))
    return entry.build(ProtonBeam, **values)


def _unsupported(comp: Entry) -> list[str]:
    """The computation settings PlanFlow has no field for that differ from Planning-Flow's defaults."""
    lost = []
    for key, default in _COMP_DEFAULTS.items():
        if key not in comp.data:
            continue
        if isinstance(default, list):
            value: Any = comp.texts(key)
        elif isinstance(default, float):
            value = comp.number(key, default)
        else:
            value = comp.text(key, default)
        if value != default:
            lost.append(f"{key} {value:g}" if isinstance(value, float) else f"{key} {value!r}")
    return lost
