"""The legacy steps before the rounds: plan and beam set (prescription, isocenter), beams, boolean ROIs, clinical
goals, initial functions (+ robustness), optimization settings and the first optimization."""

from __future__ import annotations

from planflow_qt.model.legacy.beams import beam_name, parse_arc, parse_proton_beam
from planflow_qt.model.legacy.fields import Entry
from planflow_qt.model.legacy.functions import parse_function
from planflow_qt.model.legacy.graph import Graph
from planflow_qt.model.legacy.layout import Phase
from planflow_qt.model.legacy.rois import add_boolean_roi
from planflow_qt.model.planning import (
    DoseAlgorithm,
    FunctionSpec,
    OptimizationSettings,
    PlanSetup,
    Prescription,
    RobustMethod,
    Robustness,
    Technique,
)

ALGORITHMS = {"Collapsed Cone": DoseAlgorithm.COLLAPSED_CONE, "Pencil beam": DoseAlgorithm.PENCIL_BEAM,
              "MonteCarlo": DoseAlgorithm.MONTE_CARLO, "Monte Carlo": DoseAlgorithm.MONTE_CARLO}
ROBUST_METHODS = {"Composite worst cases (minimax)": RobustMethod.COMPOSITE_WORST_CASE,
                  "Voxelwise worst cases": RobustMethod.VOXELWISE_WORST_CASE}
ISOCENTER_METHODS = ("Center of ROI", "User Defined POI", "POI", "Automatic")
_DIRECTIONS = ("superior", "inferior", "left", "right", "anterior", "posterior")


MAX_FRACTIONS = PlanSetup.model_fields["fractions"].metadata[-1].le


def technique(g: Graph, top: Entry) -> Technique:
    """VMAT or IMPT; an empty technique is taken from the beams (VMAT without any)."""
    text = top.text("technique", "")
    if text in ("VMAT", "IMPT"):
        return Technique(text)
    if text:
        raise top.error(f"{text!r} is neither 'VMAT' nor 'IMPT'", "technique")
    chosen = Technique.IMPT if top.data.get("impt_beam") and not top.data.get("vmat_beam") else Technique.VMAT
    g.warnings.append(f"technique: empty: {chosen.value} assumed")
    return chosen


def plan(g: Graph, top: Entry, kind: Technique) -> None:
    """The new plan and beam set, then the prescription and the isocenter, on the plan wire."""
    name = top.text("flow_name", "PlanFlow") or "PlanFlow"
    if len(name) > 64:
        name = name[:64].rstrip() or "PlanFlow"
        g.warnings.append(f"flow_name: longer than a plan name may be: the plan is named {name!r}")
    rx = top.entry("prescription")
    fractions = rx.integer("num_fractions", 0) if rx.has("num_fractions") else None
    if fractions is None:
        fractions = 1
        g.warnings.append("prescription: no number of fractions: 1 used (Planning-Flow's default)")
    elif not 1 <= fractions <= MAX_FRACTIONS:
        raise rx.error(f"{fractions} fractions: give the number of fractions, 1 to {MAX_FRACTIONS}", "num_fractions")
    setup = top.build(PlanSetup, name=name, technique=kind, fractions=fractions)
    g.warnings.append(f"plan: Planning-Flow files do not hold the treatment machine: PlanFlow's default "
                      f"{setup.machine!r} is kept; choose the machine in the 'New plan' node")
    g.chain(g.add(Phase.PLAN, "plan.create", "plan", setup.model_dump(mode="json"), title=name))
    prescription(g, rx)
    isocenter(g, top.entry("isocenter"), rx)


def prescription(g: Graph, rx: Entry) -> None:
    """D95 % prescription of the total dose to an ROI; skipped, like the legacy tool, when incomplete."""
    roi = rx.text("prescription_roi", "", max_length=64)
    if not rx.has("primary_dose") or not roi:
        if rx.has("primary_dose") or roi:
            g.warnings.append(rx.say("the prescription needs both primary_dose and prescription_roi: none is set"))
        return
    value = rx.build(Prescription, roi=roi, dose_cgy=rx.number("primary_dose"))
    node = g.add(Phase.PLAN, "plan.prescription", "prescription", {"dose_cgy": value.dose_cgy, "volume_percent": 95.0},
                 title=f"D95% = {value.dose_cgy:g} cGy")
    g.chain(node)
    g.wire_roi(roi, f"{node}.roi")


def isocenter(g: Graph, iso: Entry, rx: Entry) -> None:
    """Isocenter at the center of an ROI or at a POI; 'Automatic' is the center of the prescription ROI."""
    if not iso.data:
        g.warnings.append("isocenter: not set: the beams need one; add it in the 'Isocenter' node")
        return
    method = iso.text("method", "Center of ROI") or "Center of ROI"
    if method not in ISOCENTER_METHODS:
        raise iso.error(f"unknown method {method!r}; known: {', '.join(ISOCENTER_METHODS)}", "method")
    if method in ("User Defined POI", "POI"):
        poi = iso.text("poi_name", "", max_length=64)
        if not poi:
            g.warnings.append(iso.say("no POI named: no isocenter is set"))
            return
        g.chain(g.add(Phase.PLAN, "plan.isocenter", "isocenter", {"method": "poi", "poi": poi}, title=f"POI {poi}"))
        return
    roi = iso.text("roi_name", "", max_length=64)
    if method == "Automatic":
        roi = rx.text("prescription_roi", "", max_length=64)
        g.warnings.append(iso.say(f"'Automatic' isocenter placed at the center of the prescription ROI {roi!r}"))
    if not roi:
        g.warnings.append(iso.say("no ROI named: no isocenter is set"))
        return
    node = g.add(Phase.PLAN, "plan.isocenter", "isocenter", {"method": "roi_center"}, title=f"Center of {roi}")
    g.chain(node)
    g.wire_roi(roi, f"{node}.roi")


def beams(g: Graph, top: Entry, kind: Technique) -> dict[str, str]:
    """The beams of the technique; returns legacy beam name -> flow beam name."""
    used: set[str] = set()
    names: dict[str, str] = {}
    key, other = ("vmat_beam", "impt_beam") if kind is Technique.VMAT else ("impt_beam", "vmat_beam")
    if top.entries(other):
        g.warnings.append(f"{other}: the technique is {kind.value}: these beams are not carried over")
    rows = []
    for i, entry in enumerate(top.entries(key, "beam_name")):
        name = beam_name(entry, i, used, g.warnings)
        names.setdefault(entry.text("beam_name", ""), name)
        beam = parse_arc(entry, name) if kind is Technique.VMAT else parse_proton_beam(entry, name, g.warnings)
        rows.append(beam.model_dump(mode="json"))
    if top.data.get("beam_settings") not in (None, [], {}):
        g.warnings.append("beam_settings: not used by Planning-Flow (always empty there): ignored")
    if not rows:
        return names
    if kind is Technique.VMAT:
        g.chain(g.add(Phase.PLAN, "plan.vmat_arcs", "arcs", {"arcs": rows}, title=f"{len(rows)} VMAT arcs"))
    else:
        g.chain(g.add(Phase.PLAN, "plan.impt_beams", "beams", {"beams": rows}, title=f"{len(rows)} IMPT beams"))
    return names


def automate_rois(g: Graph, entries: list[Entry]) -> None:
    """Boolean ROIs in their `order`, each taking its operands from the nodes that provide them."""
    for entry in entries:
        name = entry.text("roi_name", "", max_length=64)
        if not name:
            g.warnings.append(entry.say("no ROI name: skipped, as Planning-Flow does"))
            continue
        node = add_boolean_roi(g, entry, name, Phase.AUTOMATE)
        if node is not None:
            g.provide(name, node)


def clinical_goals(g: Graph, goals: Entry) -> None:
    """Goals of a template of the clinic database, its ROIs mapped to the flow's."""
    template = goals.text("clinical_goal_template", "", max_length=128)
    pairs = goals.entries("matched_rois", "template_roi")
    if not template:
        if pairs:
            g.warnings.append(goals.say("matched ROIs without a template: no clinical goals are added"))
        return
    roi_map: dict[str, str] = {}
    for pair in pairs:
        template_roi = pair.text("template_roi", "", max_length=64)
        roi = pair.text("matched_roi", "", max_length=64)
        if not template_roi or not roi:
            g.warnings.append(pair.say("template ROI without a matched ROI: its goals keep the template's ROI name"))
        elif g.roi(roi) is None:
            g.warnings.append(pair.say(f"ROI {roi!r} {g.later[roi]}: its goals keep the template's ROI name"))
        else:
            roi_map[template_roi] = roi
    g.chain(g.add(Phase.GOALS, "plan.clinical_goals", "clinical-goals", {"template": template, "roi_map": roi_map},
                  title=template))


def initial_functions(g: Graph, entries: list[Entry], beam_names: dict[str, str]) -> frozenset[str]:
    """The initial functions as one table; returns their tags."""
    rows: list[FunctionSpec] = []
    for entry in entries:
        spec = parse_function(entry, beam_names, g.warnings)
        if g.roi(spec.roi) is None:
            g.warnings.append(entry.say(f"ROI {spec.roi!r} {g.later[spec.roi]}: the function is skipped"))
            continue
        rows.append(spec.model_copy(update={"tag": g.unique_name(spec.tag, entry, "tag")}))
    if rows:
        table = [row.model_dump(mode="json", exclude_defaults=True) for row in rows]
        g.chain(g.add(Phase.FUNCTIONS, "opt.function_table", "initial-functions", {"functions": table},
                      title=f"{len(rows)} initial functions"))
    return frozenset(row.tag for row in rows if row.tag)


def robustness(g: Graph, robust: Entry) -> None:
    """Setup (cm) and density (%) uncertainties: isotropic, or per direction."""
    if not robust.data:
        return
    method_text = robust.text("method", "")
    method = ROBUST_METHODS.get(method_text, RobustMethod.VOXELWISE_WORST_CASE)
    if method_text and method_text not in ROBUST_METHODS:
        raise robust.error(f"unknown method {method_text!r}; known: {', '.join(ROBUST_METHODS)}", "method")
    setup = robust.entry("positioning_uncertainty")
    values = {f"{d}_cm": setup.number(d, 0.0) for d in _DIRECTIONS}
    if setup.has("isotropic"):
        isotropic = setup.number("isotropic")
        if any(setup.has(d) and v != isotropic for d, v in zip(_DIRECTIONS, values.values(), strict=True)):
            g.warnings.append(robust.say(f"isotropic and per-direction uncertainties both given: isotropic "
                                         f"{isotropic:g} cm used"))
        values = dict.fromkeys(values, isotropic)
    params = robust.build(Robustness, method=method, density_percent=robust.number("density_uncertainty", 0.0),
                          **values)
    g.chain(g.add(Phase.FUNCTIONS, "plan.robustness", "robustness", params.model_dump(mode="json"),
                  title="Robustness"))


def settings(g: Graph, optimization: Entry, final: Entry, kind: Technique) -> None:
    """Optimizer iterations and tolerance with the final dose algorithm, then the first optimization."""
    if optimization.data or final.data:
        values: dict[str, object] = {}
        if optimization.has("max_iterations"):
            values["iterations"] = optimization.integer("max_iterations")
        if optimization.has("tolerance"):
            values["tolerance"] = optimization.number("tolerance")
        missing = [k for k in ("max_iterations", "tolerance") if not optimization.has(k)]
        if missing:
            g.warnings.append(optimization.say(f"no {' or '.join(missing)}: PlanFlow's default used"))
        algorithm = final.text("algorithm", "")
        if algorithm and algorithm not in ALGORITHMS:
            raise final.error(f"unknown algorithm {algorithm!r}; known: {', '.join(ALGORITHMS)}", "algorithm")
        default = DoseAlgorithm.PENCIL_BEAM if kind is Technique.IMPT else DoseAlgorithm.COLLAPSED_CONE
        values["final_dose_algorithm"] = ALGORITHMS.get(algorithm, default)
        if final.has("uncer_or_spot") or final.has("uncer_spot_value"):
            g.warnings.append(final.say(f"{final.text('uncer_or_spot', '')} {final.data.get('uncer_spot_value')!r} "
                                        "cannot be carried over: RayStation's setting is kept"))
        params = optimization.build(OptimizationSettings, **values)
        g.chain(g.add(Phase.SETTINGS, "opt.settings", "optimization-settings", params.model_dump(mode="json"),
                      title="Optimization settings"))
    g.chain(g.add(Phase.SETTINGS, "opt.run", "first-optimization", {}, title="First optimization"))
