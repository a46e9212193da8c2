"""The keys a Planning-Flow file may hold, section by section: any other key is reported, never silently dropped."""

from __future__ import annotations

from typing import Any

_SIX = dict.fromkeys(("Superior", "Inferior", "Right", "Left", "Anterior", "Posterior"))
_MARGIN = {"margin_type": None, "margins": _SIX}
_BOOLEAN = {"roi_a": {"name": None, **_MARGIN}, "operation": None, "roi_b": {"name": None, **_MARGIN},
            "output": _MARGIN}
_FUNCTION = dict.fromkeys(("tag", "type", "roi", "description", "weight", "objective_constraint", "is_robust",
                           "restrict_to_beam", "selected_beam"))
_COMP_SETTINGS = dict.fromkeys((
    "range_shifter_selection", "spot_pattern", "energy_layer_spacing_method", "energy_layer_spacing_scale",
    "spot_spacing_method", "spot_spacing_scale", "angle", "proximal_margin", "distal_margin",
    "lateral_margin_method", "lateral_margin_scale", "min_radiologic_depth", "max_radiologic_depth",
    "avoidance_rois", "avoidance_proximal_margin", "layer_repainting_method", "layer_repainting_value"))
_UNCERTAINTY = dict.fromkeys(("isotropic", "superior", "inferior", "left", "right", "anterior", "posterior"))

SCHEMA: dict[str, Any] = {
    "flow_name": None, "created_by": None, "created_date": None, "version": None, "technique": None,
    "beam_settings": None,
    "vmat_beam": [dict.fromkeys(("beam_name", "energy", "gantry_start", "gantry_stop", "rotation", "collimator",
                                 "couch"))],
    "impt_beam": [{**dict.fromkeys(("beam_name", "gantry", "couch", "snout", "range_shifter")),
                   "comp_settings": _COMP_SETTINGS}],
    "match_roi": [dict.fromkeys(("roi_name", "possible_roi_name"))],
    "automate_roi": [{"order": None, "roi_name": None, "boolean_config": _BOOLEAN}],
    "initial_functions": [_FUNCTION],
    "optimization_settings": dict.fromkeys(("tolerance", "max_iterations")),
    "final_calculation": dict.fromkeys(("algorithm", "uncer_or_spot", "uncer_spot_value")),
    "check_conditions": [dict.fromkeys(("name", "roi", "active_round", "type", "criteria"))],
    "condition_rois": [{**dict.fromkeys(("order", "condition", "roi_name", "method", "convert_dose")),
                        "boolean_config": _BOOLEAN}],
    "function_adjustments": [{**_FUNCTION, "condition": None, "adjustment": None}],
    "end_flow": {"max_optimize_rounds": None},
    "isocenter": dict.fromkeys(("method", "roi_name", "poi_name")),
    "prescription": dict.fromkeys(("primary_dose", "num_fractions", "prescription_roi")),
    "clinical_goal": {"clinical_goal_template": None, "matched_rois": [dict.fromkeys(("template_roi",
                                                                                      "matched_roi"))]},
    "robust_settings": {"method": None, "positioning_uncertainty": _UNCERTAINTY, "density_uncertainty": None},
}
"""Known keys: a dict of the keys of an object (None: any value), or a one-item list for every item of a list."""


def unknown_keys(data: Any, schema: Any = SCHEMA, where: str = "") -> list[str]:
    """Warnings for the keys of `data` that Planning-Flow does not write; wrong types are left to the readers."""
    found: list[str] = []
    if isinstance(schema, list) and isinstance(data, list):
        for i, item in enumerate(data):
            found += unknown_keys(item, schema[0], f"{where}[{i}]")
    elif isinstance(schema, dict) and isinstance(data, dict):
        for key, value in data.items():
            if key not in schema:
                found.append(f"{where}: unknown field {key!r}: ignored" if where
                             else f"{key}: not a Planning-Flow key: ignored")
            elif schema[key] is not None:
                found += unknown_keys(value, schema[key], f"{where}.{key}" if where else key)
    return found
