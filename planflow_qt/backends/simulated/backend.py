"""The simulated backend: a phantom or DICOM patient planned with the pencil-beam engine and L-BFGS-B.

It answers every call of the Backend protocol the way RayStation does, in RayStation's units (cGy, cm,
percent, cc). One patient per backend (`patients.Patient`: an analytic phantom, or a DICOM CT and structure
set resampled to the dose grid); plans are held in memory. The influence matrix is built on
the first optimization and shared through a small cache keyed by the case, isocenter, arcs and target.
With a prescription, optimizations keep the dose scaled to it as they go (RayStation's default
AutoScaleToPrescription); the dose the optimizer sees already includes the scatter bath. A photon
CollapsedCone final dose uses the density-scaled kernels of `final_dose`; a PencilBeam one is the
optimization's model recomputed. IMPT beam sets use the proton pencil-beam model (`pbs`, `protons`); with
robustness settings, functions marked robust are optimized over the scenarios (`scenarios`, `robust`), and
`dose_scenarios()` / `scenario(name)` let dose queries read a scenario's dose. `export_dicom` writes the
plan, its final dose and every ROI as DICOM RT (`patients.dicom_export`).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from planflow_qt.backends.base import BackendError
from planflow_qt.backends.simulated import beam_limits, dvh, pbs
from planflow_qt.backends.simulated import goals as clinical_goals
from planflow_qt.backends.simulated.beams import control_points
from planflow_qt.backends.simulated.dose_engine import (
    BeamModel,
    DoseGeometry,
    Influence,
    ScatterBath,
    build_influence,
    cached_influence,
)
from planflow_qt.backends.simulated.final_dose import collapsed_cone_dose
from planflow_qt.backends.simulated.influence_store import InfluenceStore, influence_key
from planflow_qt.backends.simulated.objectives import Term, fall_off_term
from planflow_qt.backends.simulated.optimizer import AutoScale, Problem, optimize
from planflow_qt.backends.simulated.robust import RobustProblem
from planflow_qt.backends.simulated.scenarios import NOMINAL, ScenarioDoses
from planflow_qt.catalog.spec import PlanState
from planflow_qt.model.planning import (
    Arc,
    BeamSettings,
    BooleanOperation,
    ClinicalGoal,
    DoseAlgorithm,
    DoseStatistic,
    FunctionSpec,
    FunctionState,
    FunctionType,
    GoalResult,
    Margin,
    OptimizationSettings,
    PlanSetup,
    Prescription,
    PrescriptionType,
    ProtonBeam,
    Robustness,
    RoiOperand,
    Technique,
)
from planflow_qt.patients import masks
from planflow_qt.patients.patient import Patient
from planflow_qt.patients.phantoms import CaseParams, make_case

log = logging.getLogger(__name__)


class DoseGrid(NamedTuple):
    """The total dose on the patient's grid: array [x, y, z] in cGy, voxel size and voxel [0,0,0] center (mm)."""

    dose: np.ndarray
    voxel_mm: float
    origin_mm: tuple[float, float, float]


@dataclass
class _Plan:
    """Everything a plan and its beam set hold."""

    name: str
    setup: PlanSetup
    prescription: Prescription | None = None
    iso_mm: tuple[float, float, float] | None = None
    arcs: list[Arc] = field(default_factory=list)
    proton_beams: list[ProtonBeam] = field(default_factory=list)
    goals: list[ClinicalGoal] = field(default_factory=list)
    robustness: Robustness | None = None
    beam_settings: BeamSettings = field(default_factory=BeamSettings)
    settings: OptimizationSettings = field(default_factory=OptimizationSettings)
    functions: dict[str, FunctionSpec] = field(default_factory=dict)
    weights: np.ndarray | None = None
    weights_key: tuple | None = None
    dose_rows: np.ndarray | None = None
    feedback: dict[str, tuple[float, float | None]] = field(default_factory=dict)
    dvhs: dict[str | tuple[str, int], dvh.Dvh] = field(default_factory=dict)


class SimulatedBackend:
    """A Backend on a simulated patient: an analytic phantom (see `phantoms.CASES`) or a given `Patient`.

    `case`, `grid_mm` (2.5-10) and `seed` choose the phantom (a seed draws a new patient of that site;
    `params` sets it explicitly); `patient` replaces the phantom (see `from_folder` for a DICOM patient);
    `cp_spacing_deg` is the widest gantry step between the control points of
    an arc; `model` holds the beam model's constants; `influence_store` shares influence matrices with other
    processes running the same patient (a study's workers). Beyond the protocol, reports read `patient`,
    `dose_grid()`, `roi_mask()`, `case_info()`, `saves` and `last_influence`.
    """

    name = "simulated"
    evaluates_scenarios = True
    exports_dicom = True

    def __init__(self, case: str = "lung", grid_mm: float = 5.0, seed: int | None = None,
                 params: CaseParams | None = None, cp_spacing_deg: float = 12.0,
                 model: BeamModel | None = None, patient: Patient | None = None,
                 influence_store: InfluenceStore | None = None):
        if patient is None:
            try:
                patient = make_case(case, grid_mm=grid_mm, seed=seed, params=params)
            except ValueError as exc:
                raise BackendError(str(exc)) from exc
        self.patient: Patient = patient
        self.model = model or BeamModel()
        self.cp_spacing_deg = cp_spacing_deg
        self.influence_store = influence_store
        self._rois: dict[str, np.ndarray] = dict(self.patient.rois)
        self._roi_info: dict[str, tuple[str, str]] = {n: (t, "") for n, t in self.patient.roi_types.items()}
        self._roi_version: dict[str, int] = dict.fromkeys(self._rois, 0)
        self._plans: dict[str, _Plan] = {}
        self._plan: _Plan | None = None
        self._geo: DoseGeometry | None = None
        self._bath: ScatterBath | None = None
        self._distance_cache: dict[tuple[str, int], np.ndarray] = {}
        self._rows_cache: dict[tuple[str, int | None], np.ndarray] = {}
        self.saves = 0
        self.last_influence: Influence | None = None
        self._spots: dict[tuple, pbs.SpotPlan] = {}
        self._open: dict[tuple, np.ndarray] = {}
        self._scenario_doses: dict[tuple, ScenarioDoses] = {}
        self._scenario: int | None = None
        self._pool: tuple[tuple, np.ndarray] | None = None
        self._grid_replaced = False

    @classmethod
    def from_folder(cls, folder, grid_mm: float = 5.0, calibration=None, **options) -> SimulatedBackend:
        """A backend on the DICOM patient in `folder` (one CT series and its RTSTRUCT) resampled to a
        `grid_mm` dose grid; `calibration` a `patients.calibration.Calibration` (the default table otherwise).
        Raises `PatientError` (a `BackendError`) with a one-line message when the folder cannot be used."""
        from planflow_qt.patients.dicom_import import read_patient

        return cls(patient=read_patient(folder, grid_mm=grid_mm, calibration=calibration), **options)

    # -- the case --------------------------------------------------------------------------------------
    @property
    def voxel_mm(self) -> float:
        return self.patient.grid.voxel_mm

    def roi_names(self) -> list[str]:
        """Names of the ROIs of the case that have a geometry."""
        return [n for n, m in self._rois.items() if m.any()]

    def roi_mask(self, name: str) -> np.ndarray:
        """A copy of an ROI's mask on the patient's grid ([x, y, z])."""
        return self._mask(name).copy()

    def _mask(self, name: str) -> np.ndarray:
        if name not in self._rois:
            raise BackendError(f"no ROI named {name!r} in the case; ROIs: {', '.join(self._rois)}")
        return self._rois[name]

    def roi_volume_cc(self, roi: str) -> float:
        """Volume of an ROI (cc)."""
        return masks.volume_cc(self._mask(roi), self.voxel_mm)

    def _store_roi(self, name: str, mask: np.ndarray, roi_type: str, color: str) -> None:
        if not name:
            raise BackendError("an ROI needs a name")
        self._rois[name] = mask
        self._roi_info[name] = (roi_type, color)
        self._roi_version[name] = self._roi_version.get(name, -1) + 1
        self._rows_cache = {k: v for k, v in self._rows_cache.items() if k[0] != name}
        if self._plan is not None:
            self._plan.feedback.clear()
            self._plan.dvhs = {k: v for k, v in self._plan.dvhs.items() if name not in (k, k[0])}
        log.info("ROI %s: %.1f cc", name, masks.volume_cc(mask, self.voxel_mm))

    def _operand(self, operand: RoiOperand) -> np.ndarray:
        combined = masks.combine((self._mask(n) for n in operand.rois), operand.combine)
        return masks.apply_margin(combined, operand.margin, self.voxel_mm)

    def create_roi_algebra(self, name: str, a: RoiOperand, b: RoiOperand | None,
                           operation: BooleanOperation, result_margin: Margin, roi_type: str,
                           color: str) -> None:
        """Create (or replace the geometry of) ROI `name` = (A op B) with margins."""
        result = masks.boolean(self._operand(a), self._operand(b) if b is not None else None, operation)
        self._store_roi(name, masks.apply_margin(result, result_margin, self.voxel_mm), roi_type, color)

    def create_roi_margin(self, name: str, source: str, margin: Margin, roi_type: str, color: str) -> None:
        """Create (or replace) ROI `name` as `source` expanded or contracted."""
        self._store_roi(name, masks.apply_margin(self._mask(source), margin, self.voxel_mm), roi_type, color)

    def create_roi_wall(self, name: str, source: str, outward_cm: float, inward_cm: float,
                        roi_type: str, color: str) -> None:
        """Create (or replace) a wall around `source`: `outward_cm` outside, `inward_cm` inside."""
        if not (0 <= outward_cm < 5 and 0 <= inward_cm < 5) or outward_cm + inward_cm == 0:
            raise BackendError("wall distances must be within 0-5 cm and not both 0")
        wall = masks.wall(self._mask(source), outward_cm * 10.0, inward_cm * 10.0, self.voxel_mm)
        self._store_roi(name, wall, roi_type, color)

    def create_roi_from_dose(self, name: str, threshold_cgy: float, roi_type: str, color: str) -> None:
        """Create (or replace) ROI `name` from the isodose `threshold_cgy` of the current total dose."""
        self._store_roi(name, masks.from_dose(self._full_dose(), threshold_cgy), roi_type, color)

    def case_info(self) -> dict:
        """The patient: case name, parameters (phantoms), identity, grid, ROIs (type, volume cc), POIs (cm)."""
        grid = self.patient.grid
        identity = self.patient.identity
        return {
            "case": self.patient.name,
            "params": self.patient.params.model_dump() if self.patient.params is not None else None,
            "patient": None if identity is None else {"name": identity.patient_name, "id": identity.patient_id,
                                                      "position": identity.patient_position,
                                                      "source": self.patient.source},
            "grid": {"shape": grid.shape, "voxel_mm": grid.voxel_mm, "origin_mm": grid.origin_mm},
            "rois": {n: {"type": self._roi_info[n][0], "color": self._roi_info[n][1],
                         "volume_cc": self.roi_volume_cc(n)} for n in self.roi_names()},
            "pois_cm": {n: tuple(v / 10.0 for v in p) for n, p in self.patient.pois_mm.items()},
        }

    # -- the plan --------------------------------------------------------------------------------------
    def _current(self) -> _Plan:
        if self._plan is None:
            raise BackendError("no plan: create a plan or use the current plan first")
        return self._plan

    def create_plan(self, setup: PlanSetup) -> str:
        """Create a plan and its beam set; return the plan name."""
        if setup.name in self._plans:
            raise BackendError(f"a plan named {setup.name!r} already exists")
        if abs(setup.dose_grid_cm * 10.0 - self.voxel_mm) > 1e-6 and not self._grid_replaced:
            self._grid_replaced = True
            log.warning("the plan's %.2f cm dose grid is replaced by the patient's %.2f cm grid (the simulated "
                        "patient has one grid; --grid chooses it)", setup.dose_grid_cm, self.voxel_mm / 10.0)
        self._plan = self._plans[setup.name] = _Plan(name=setup.name, setup=setup)
        return setup.name

    def open_plan_states(self) -> frozenset[PlanState]:
        """What the plan open on the simulated patient has (nothing when none is open): the preflight of a flow
        that starts from "Current plan"."""
        plan = self._plan
        if plan is None:
            return frozenset()
        has = {PlanState.BEAMS: bool(plan.arcs or plan.proton_beams),
               PlanState.PRESCRIPTION: plan.prescription is not None,
               PlanState.FUNCTIONS: bool(plan.functions), PlanState.DOSE: plan.dose_rows is not None}
        return frozenset(state for state, present in has.items() if present)

    def use_current_plan(self) -> str:
        """Work on the plan that is open (a new empty plan if the patient has none); return its name."""
        if self._plan is None:
            log.info("no plan open on the patient: creating one")
            return self.create_plan(PlanSetup())
        return self._plan.name

    def set_prescription(self, prescription: Prescription) -> None:
        """Set the primary prescription of the beam set."""
        self._mask(prescription.roi)
        plan = self._current()
        plan.prescription = prescription
        plan.feedback.clear()

    def set_isocenter(self, roi: str | None = None, poi: str | None = None,
                      position_cm: tuple[float, float, float] | None = None) -> tuple[float, float, float]:
        """Place the isocenter at an ROI's center, a POI or coordinates (cm); return the position (cm)."""
        plan = self._current()
        if roi is not None:
            mask = self._mask(roi)
            if not mask.any():
                raise BackendError(f"ROI {roi!r} is empty")
            x, y, z = self.patient.grid.positions_mm(np.flatnonzero(mask)).mean(axis=0)
        elif poi is not None:
            if poi not in self.patient.pois_mm:
                raise BackendError(f"no POI named {poi!r}; POIs: {', '.join(self.patient.pois_mm)}")
            x, y, z = self.patient.pois_mm[poi]
        elif position_cm is not None:
            x, y, z = (10.0 * v for v in position_cm)
        else:
            raise BackendError("the isocenter needs an ROI, a POI or a position")
        plan.iso_mm = (float(x), float(y), float(z))
        return round(float(x) / 10.0, 6), round(float(y) / 10.0, 6), round(float(z) / 10.0, 6)

    def add_vmat_arcs(self, arcs: list[Arc]) -> None:
        """Add VMAT arcs to the beam set at the isocenter."""
        self._current_beams(Technique.VMAT, arcs).extend(arcs)

    def add_proton_beams(self, beams: list[ProtonBeam]) -> None:
        """Add pencil-beam scanning proton beams to an IMPT beam set at the isocenter."""
        self._current_beams(Technique.IMPT, beams).extend(beams)

    def _current_beams(self, technique: Technique, new: list[Arc] | list[ProtonBeam]) -> list:
        """The beam list of the current plan, checked to take `new`: right technique, isocenter set, names free."""
        plan = self._current()
        if plan.setup.technique is not technique:
            raise BackendError(f"beam set {plan.setup.beam_set!r} is {plan.setup.technique.value}, "
                               f"not {technique.value}")
        if plan.iso_mm is None:
            raise BackendError("no isocenter: set the isocenter before adding beams")
        beams = plan.arcs if technique is Technique.VMAT else plan.proton_beams
        names = [b.name for b in beams]
        for beam in new:
            if beam.name in names:
                raise BackendError(f"a beam named {beam.name!r} already exists")
            names.append(beam.name)
        return beams

    def add_clinical_goals(self, goals: list[ClinicalGoal], template: str | None,
                           roi_map: dict[str, str]) -> None:
        """Add listed goals and/or the goals of a template (template ROI -> case ROI via `roi_map`)."""
        plan = self._current()
        new = list(goals)
        if template:
            templates = clinical_goals.TEMPLATES
            if template not in templates:
                raise BackendError(f"no clinical goal template {template!r}; templates: {', '.join(templates)}")
            new += [g.model_copy(update={"roi": roi_map.get(g.roi, g.roi)}) for g in templates[template]]
        for i, goal in enumerate(new):
            self._mask(goal.roi)
            if goal in plan.goals or goal in new[:i]:
                raise BackendError(f"an identical clinical goal already exists ({goal.roi} {goal.type.value})")
        plan.goals.extend(new)

    def set_robustness(self, robustness: Robustness) -> None:
        """Store the robustness scenarios: used by robust functions of IMPT plans (photon plans here
        optimize the nominal scenario)."""
        plan = self._current()
        plan.robustness = robustness
        plan.dvhs.clear()

    def set_beam_settings(self, settings: BeamSettings) -> None:
        """Jaws, arc conversion and the protected or avoided ROI of the beams (see `beam_limits`)."""
        plan = self._current()
        if settings.avoid_roi is not None:
            self._mask(settings.avoid_roi)
        plan.beam_settings = settings

    def export_dicom(self, folder: str) -> None:
        """Write the current plan as DICOM RT into `folder`: RTPLAN, RTDOSE of its total dose and RTSTRUCT of
        every ROI (the case's and the helpers), referencing the patient's study and frame of reference."""
        from planflow_qt.patients.dicom_export import PlanExport, export_plan
        from planflow_qt.patients.errors import PatientError

        plan = self._current()
        export = PlanExport(setup=plan.setup, dose_cgy=self._full_dose(), grid=self.patient.grid,
                            prescription=plan.prescription, iso_mm=plan.iso_mm, arcs=list(plan.arcs),
                            proton_beams=list(plan.proton_beams))
        rois = {n: m for n, m in self._rois.items() if m.any()}
        try:
            paths = export_plan(folder, self.patient, export, rois, {n: self._roi_info[n][0] for n in rois})
        except PatientError as exc:
            raise BackendError(str(exc)) from None
        log.info("DICOM RT written: %s", ", ".join(str(p) for p in paths.values()))

    def set_optimization_settings(self, settings: OptimizationSettings) -> None:
        """Iterations, tolerance and dose settings of the optimization."""
        self._current().settings = settings

    # -- optimization functions ------------------------------------------------------------------------
    def function_tags(self) -> list[str]:
        """Tags of the functions in the plan, objectives and constraints, in order."""
        return list(self._current().functions)

    def _checked(self, spec: FunctionSpec, plan: _Plan) -> FunctionSpec:
        self._mask(spec.roi)
        beams = {a.name for a in plan.arcs} | {b.name for b in plan.proton_beams}
        unknown = [b for b in spec.beams if b not in beams]
        if unknown:
            raise BackendError(f"function on {spec.roi}: no beam named {', '.join(unknown)}")
        if spec.robust and plan.setup.technique is Technique.VMAT:
            log.info("%s: robust photon functions are optimized on the nominal scenario", spec.tag or spec.roi)
        return spec

    def add_function(self, spec: FunctionSpec) -> None:
        """Add a function; an empty tag becomes `{roi}_{type}_{n}`."""
        plan = self._current()
        tag = spec.tag
        if not tag:
            n = 1
            while f"{spec.roi}_{spec.type.value}_{n}" in plan.functions:
                n += 1
            tag = f"{spec.roi}_{spec.type.value}_{n}"
        if tag in plan.functions:
            raise BackendError(f"a function tagged {tag!r} already exists")
        plan.functions[tag] = self._checked(spec.model_copy(update={"tag": tag}), plan)

    def update_function(self, tag: str, spec: FunctionSpec) -> None:
        """Replace type, ROI, parameters and flags of the function tagged `tag`."""
        plan = self._current()
        if tag not in plan.functions:
            raise BackendError(f"no function tagged {tag!r}")
        plan.functions[tag] = self._checked(spec.model_copy(update={"tag": tag}), plan)
        plan.feedback.pop(tag, None)

    def function_state(self, tag: str) -> FunctionState:
        """The function tagged `tag` with its value and achieved level on the current dose (None before)."""
        plan = self._current()
        if tag not in plan.functions:
            raise BackendError(f"no function tagged {tag!r}")
        if plan.weights is None:
            return FunctionState(spec=plan.functions[tag])
        if tag not in plan.feedback:
            plan.feedback[tag] = self._feedback(plan, plan.functions[tag])
        value, achieved = plan.feedback[tag]
        return FunctionState(spec=plan.functions[tag], value=value, achieved=achieved)

    def _feedback(self, plan: _Plan, spec: FunctionSpec) -> tuple[float, float | None]:
        """Value and achieved level of a function on the current dose."""
        term = self._term(spec, plan)
        if spec.beams:
            influence, _ = self._influence(plan)
            dose = Problem(influence, [term], self._bath_for(plan)).term_doses(plan.weights)[0][1]
        else:
            dose = plan.dose_rows[term.rows]
        value, _ = term.value_and_gradient(dose)
        weight = 1.0 if spec.constraint else spec.weight
        return weight * value, term.achieved(dose)

    # -- dose ------------------------------------------------------------------------------------------
    def _geometry(self) -> DoseGeometry:
        if self._geo is None:
            patient = self.patient
            position = patient.identity.patient_position if patient.identity is not None else "HFS"
            self._geo = DoseGeometry(patient.grid, patient.density, patient.rois[patient.body], self.model, position)
            self._bath = ScatterBath(self._geo)
        return self._geo

    def _bath_for(self, plan: _Plan) -> ScatterBath | None:
        """The photon scatter bath; proton doses have none."""
        self._geometry()
        return None if plan.setup.technique is Technique.IMPT else self._bath

    def _target(self, plan: _Plan) -> np.ndarray:
        """What the beamlets cover: the prescription ROI, or else every ROI of type Ptv."""
        if plan.prescription is not None:
            return self._mask(plan.prescription.roi)
        ptvs = [n for n in self.roi_names() if self._roi_info[n][0] == "Ptv"]
        if not ptvs:
            raise BackendError("no target: set a prescription (its ROI is the target of the beams)")
        return masks.combine(self._mask(n) for n in ptvs)

    def _influence(self, plan: _Plan) -> tuple[Influence, tuple]:
        if plan.setup.technique is Technique.IMPT:
            return self._proton_influence(plan)
        if not plan.arcs:
            raise BackendError("the beam set has no beams: add arcs first")
        geo = self._geometry()
        target = self._target(plan)
        digest = hashlib.sha1(np.packbits(target).tobytes()).hexdigest()
        settings = plan.beam_settings
        protected = self._mask(settings.avoid_roi) if settings.avoid_roi else None
        key = (self.patient.key, plan.iso_mm, tuple(a.model_dump_json() for a in plan.arcs), digest,
               self.cp_spacing_deg, self.model, settings.model_dump_json(),
               None if protected is None else hashlib.sha1(np.packbits(protected).tobytes()).hexdigest())
        cps = self._arc_points(plan)

        def every_beamlet() -> Influence:
            return build_influence(geo, plan.iso_mm, cps, target)

        def build() -> Influence:
            if settings == BeamSettings():
                if self.influence_store is None:
                    return every_beamlet()
                return self.influence_store.fetch(influence_key(geo, plan.iso_mm, cps, target), every_beamlet)
            influence = every_beamlet()
            self._open[key] = beam_limits.open_beamlets(geo, plan.iso_mm, cps, target, settings, protected)
            log.info("beam settings: %d of %d beamlets open", int(self._open[key].sum()), influence.n_beamlets)
            return beam_limits.close_beamlets(influence, self._open[key])

        influence = cached_influence(key, build)
        self.last_influence = influence
        return influence, key

    def _arc_points(self, plan: _Plan) -> list:
        """The control points of the plan's arcs: every `cp_spacing_deg`, or as its beam settings ask."""
        if plan.beam_settings == BeamSettings():
            return [cp for arc in plan.arcs for cp in control_points(arc, self.cp_spacing_deg)]
        return beam_limits.arc_control_points(plan.arcs, plan.beam_settings)

    def _proton_influence(self, plan: _Plan) -> tuple[Influence, tuple]:
        """Spots of the proton beams covering the target, and their nominal influence matrix."""
        if not plan.proton_beams:
            raise BackendError("the beam set has no beams: add proton beams first")
        geo = self._geometry()
        target = self._target(plan)
        digest = hashlib.sha1(np.packbits(target).tobytes()).hexdigest()
        avoided = plan.beam_settings.avoid_roi
        key = (self.patient.key, plan.iso_mm, tuple(b.model_dump_json() for b in plan.proton_beams), digest,
               avoided, self._roi_version.get(avoided) if avoided else None)
        if key not in self._spots:
            rows = geo.row_index(np.flatnonzero(target & (geo.density > 0)))
            if rows.size == 0:
                raise BackendError("the target has no voxel inside the body")
            spots = pbs.plan_spots(geo, plan.iso_mm, plan.proton_beams, rows)
            if avoided:
                spots = beam_limits.avoid_spots(geo, spots, self._mask(avoided))
            if spots.n_spots == 0:
                raise BackendError("the proton beams have no spots: the target lies beyond the machine's energies")
            self._spots = {key: spots}
        spots = self._spots[key]
        influence = cached_influence(key, lambda: pbs.build_influence(geo, spots))
        self.last_influence = influence
        return influence, key

    def _scenario_set(self, plan: _Plan) -> ScenarioDoses | None:
        """The robustness scenarios of an IMPT plan with robustness settings (None otherwise)."""
        if plan.setup.technique is not Technique.IMPT or plan.robustness is None:
            return None
        influence, key = self._proton_influence(plan)
        full_key = (key, plan.robustness.model_dump_json())
        if full_key not in self._scenario_doses:
            self._scenario_doses = {full_key: ScenarioDoses(self._geometry(), self._spots[key], influence,
                                                            plan.robustness)}
        return self._scenario_doses[full_key]

    def _rows(self, name: str) -> np.ndarray:
        """Dose rows of an ROI's voxels in the body (the same array while the ROI is unchanged)."""
        key = (name, self._roi_version.get(name))
        if key not in self._rows_cache:
            inside = np.flatnonzero(self._mask(name).ravel()[self._geometry().rows])
            if inside.size == 0:
                raise BackendError(f"ROI {name!r} has no voxel inside the body")
            self._rows_cache[key] = inside
        return self._rows_cache[key]

    def _distance_mm(self, name: str) -> np.ndarray:
        key = (name, self._roi_version[name])
        if key not in self._distance_cache:
            self._distance_cache = {key: masks.distance_outside_mm(self._mask(name), self.voxel_mm)}
        return self._distance_cache[key]

    def _term(self, spec: FunctionSpec, plan: _Plan) -> Term:
        rows = self._rows(spec.roi)
        volume = self.roi_volume_cc(spec.roi)
        if spec.type is not FunctionType.DOSE_FALL_OFF:
            return Term(spec=spec, rows=rows, roi_volume_cc=volume)
        if plan.prescription is None:
            raise BackendError("DoseFallOff needs a prescription: its ROI is the fall-off's target")
        distance = self._distance_mm(plan.prescription.roi).ravel()[self._geometry().rows[rows]]
        return fall_off_term(spec, rows, volume, distance)

    def _problem(self, plan: _Plan) -> Problem:
        if not plan.functions:
            raise BackendError("the plan has no optimization functions")
        influence, _ = self._influence(plan)
        terms = [self._term(spec, plan) for spec in plan.functions.values()]
        bath, autoscale = self._bath_for(plan), self._autoscale(plan)
        scenario_set = self._scenario_set(plan)
        robust = [t for t in terms if t.spec.robust] if scenario_set is not None else []
        if not robust:
            return Problem(influence, terms, bath, autoscale)
        for term in robust:
            if term.spec.beams:
                log.warning("%s: a robust function sees the dose of all beams", term.spec.tag)
        base = Problem(influence, [t for t in terms if not t.spec.robust], bath, autoscale)
        rows = np.unique(np.concatenate([t.rows for t in robust]))
        log.info("robust optimization (%s): %d functions over %d scenarios", plan.robustness.method.value,
                 len(robust), len(scenario_set.scenarios))
        return RobustProblem(base, robust, scenario_set.all(rows), rows, plan.robustness.method)

    def _autoscale(self, plan: _Plan) -> AutoScale | None:
        """RayStation scales the dose to the prescription during optimization by default."""
        rx = plan.prescription
        if rx is None or not plan.settings.auto_scale_to_prescription:
            return None
        fraction = {PrescriptionType.DOSE_AT_VOLUME: rx.volume_percent / 100.0,
                    PrescriptionType.MEDIAN_DOSE: 0.5}.get(rx.kind)
        return AutoScale(rows=self._rows(rx.roi), dose_cgy=rx.dose_cgy, fraction=fraction)

    def _start(self, plan: _Plan, influence: Influence, key: tuple) -> np.ndarray:
        if plan.weights is not None and plan.weights_key == key:
            return plan.weights
        if plan.weights is not None:
            log.info("beams or target changed since the last optimization: starting afresh")
        geo = self._geometry()
        rows = np.flatnonzero(self._target(plan).ravel()[geo.rows])
        uniform = self._open[key].astype(float) if key in self._open else np.ones(influence.n_beamlets)
        dose = Problem(influence, [], self._bath_for(plan)).dose(uniform)[rows]
        level = plan.prescription.dose_cgy if plan.prescription else max(
            (s.dose_cgy for s in plan.functions.values()), default=1.0)
        return uniform * level / max(float(np.mean(dose)), 1e-9)

    def run_optimization(self) -> None:
        """Run the optimization from the current state (warm start). When the settings name the algorithm of
        the final dose computed after it, that dose replaces the optimization's, as in RayStation; without one
        the optimization's dose stands for the beam set's final dose (a collapsed-cone dose after every
        round would double a flow's time here)."""
        plan = self._current()
        problem = self._problem(plan)
        _, key = self._influence(plan)
        start = self._start(plan, problem.influence, key)
        result = optimize(problem, start, plan.settings.iterations, plan.settings.tolerance)
        plan.weights, plan.weights_key = result.weights, key
        self._set_dose(plan, problem.dose(result.weights).astype(np.float64))
        if plan.settings.compute_final_dose and plan.settings.final_dose_algorithm is not None:
            self.compute_final_dose(plan.settings.final_dose_algorithm)
        for tag, violation in self._violated_constraints(plan):
            log.info("constraint %s is violated after the optimization (value %.3g)", tag, violation)

    def _violated_constraints(self, plan: _Plan) -> list[tuple[str, float]]:
        """(tag, value) of the constraints the current dose violates."""
        out = []
        for tag, spec in plan.functions.items():
            if spec.constraint:
                value, _ = self._feedback(plan, spec)
                if value > 1e-6:
                    out.append((tag, value))
        return out

    def _set_dose(self, plan: _Plan, dose_rows: np.ndarray | None) -> None:
        plan.dose_rows = dose_rows
        plan.feedback.clear()
        plan.dvhs.clear()

    def reset_optimization(self) -> None:
        """Discard the optimized state; the next optimization starts afresh."""
        plan = self._current()
        plan.weights = plan.weights_key = None
        self._set_dose(plan, None)

    def normalize_to_prescription(self) -> None:
        """Scale the plan so the primary prescription is met exactly."""
        plan = self._current()
        rx = plan.prescription
        if rx is None:
            raise BackendError("no prescription to normalize to")
        dose = self._dvh(rx.roi)
        if rx.kind is PrescriptionType.DOSE_AT_VOLUME:
            achieved = dose.dose_at_volume(rx.volume_percent / 100.0)
        elif rx.kind is PrescriptionType.MEDIAN_DOSE:
            achieved = dose.dose_at_volume(0.5)
        else:
            achieved = dose.mean
        if achieved <= 0:
            raise BackendError(f"cannot normalize: {rx.roi} receives no dose")
        factor = rx.dose_cgy / achieved
        plan.weights = plan.weights * factor
        self._set_dose(plan, plan.dose_rows * factor)
        log.info("normalized to %s: x %.4f", rx.roi, factor)
        for tag, violation in self._violated_constraints(plan):
            log.warning("constraint %s is violated after normalization to the prescription (value %.3g)",
                        tag, violation)

    def compute_final_dose(self, algorithm: DoseAlgorithm) -> None:
        """Recompute the dose from the beamlet weights. A photon CollapsedCone (or MonteCarlo) dose uses
        the density-scaled kernels of `final_dose`; PencilBeam, and every proton dose, the optimization's
        pencil beam."""
        plan = self._current()
        if plan.weights is None:
            raise BackendError("no optimized plan: run the optimization first")
        influence, _ = self._influence(plan)
        if plan.setup.technique is not Technique.IMPT and algorithm is not DoseAlgorithm.PENCIL_BEAM:
            cps = self._arc_points(plan)
            dose = collapsed_cone_dose(self._geometry(), plan.iso_mm, cps, self._target(plan), plan.weights,
                                       self._bath)
            engine = "collapsed-cone (density-scaled kernels)"
        else:
            dose = Problem(influence, [], self._bath_for(plan)).dose(plan.weights)
            engine = "pencil-beam"
        self._set_dose(plan, dose.astype(np.float64))
        log.info("final dose (%s) computed with the %s %s engine", algorithm.value, plan.setup.technique.value,
                 engine)

    def _full_dose(self) -> np.ndarray:
        plan = self._current()
        if plan.dose_rows is None:
            raise BackendError("the plan has no dose: run the optimization first")
        full = np.zeros(self.patient.grid.size, dtype=np.float64)
        full[self._geometry().rows] = plan.dose_rows
        return full.reshape(self.patient.grid.shape)

    def _dvh(self, roi: str) -> dvh.Dvh:
        """The DVH of an ROI on the current dose, or on the selected scenario's dose (kept until the dose
        or the ROI changes)."""
        plan = self._current()
        key = roi if self._scenario is None else (roi, self._scenario)
        if key not in plan.dvhs:
            mask = self._mask(roi)
            if not mask.any():
                raise BackendError(f"ROI {roi!r} is empty")
            if self._scenario is None:
                plan.dvhs[key] = dvh.Dvh(self._full_dose()[mask])
            else:
                plan.dvhs[key] = dvh.Dvh(self._scenario_dose(plan, roi))
        return plan.dvhs[key]

    def _scenario_dose(self, plan: _Plan, roi: str) -> np.ndarray:
        """The dose (cGy) of the selected scenario on the ROI's voxels (in the body)."""
        if plan.weights is None or plan.dose_rows is None:
            raise BackendError("the plan has no dose: run the optimization first")
        rows = self._rows(roi)
        scenario_set = self._scenario_set(plan)
        pool, local = rows, np.arange(rows.size)
        if not scenario_set.has(self._scenario, rows):
            # Not built for this ROI yet (as it is for robust functions): build for every ROI at once.
            every = self._evaluation_rows()
            at = np.searchsorted(every, rows)
            if at.max() < every.size and np.array_equal(every[at], rows):
                pool, local = every, at
        influence = scenario_set.influence(self._scenario, pool)
        return (influence.matrix @ plan.weights.astype(np.float32))[local].astype(np.float64)

    def _evaluation_rows(self) -> np.ndarray:
        """Dose rows of every ROI but the body: scenario doses are built once for all of them together."""
        key = tuple(sorted(self._roi_version.items()))
        if self._pool is None or self._pool[0] != key:
            names = [n for n in self.roi_names() if self._roi_info[n][0] != "External"]
            union = masks.combine(self._mask(n) for n in names)
            self._pool = (key, np.flatnonzero(union.ravel()[self._geometry().rows]))
        return self._pool[1]

    def dose_scenarios(self) -> list[str]:
        """Names of the robustness scenarios the current plan's dose can be evaluated in (nominal first);
        empty for photon plans and plans without robustness settings."""
        scenario_set = self._scenario_set(self._current())
        return scenario_set.names if scenario_set is not None else []

    @contextlib.contextmanager
    def scenario(self, name: str) -> Iterator[None]:
        """Within the context, dose queries read the dose of scenario `name`."""
        names = self.dose_scenarios()
        if name not in names:
            raise BackendError(f"no dose scenario {name!r}; scenarios: {', '.join(names) or 'none'}")
        previous, index = self._scenario, names.index(name)
        self._scenario = None if name == NOMINAL else index
        try:
            yield
        finally:
            self._scenario = previous

    def dose_grid(self) -> DoseGrid:
        """The current total dose (cGy) on the patient's grid, with voxel size and origin (mm)."""
        grid = self.patient.grid
        return DoseGrid(self._full_dose(), grid.voxel_mm, grid.origin_mm)

    # -- dose queries on the current total dose --------------------------------------------------------
    def dose_at_volume(self, roi: str, volume_percent: float | None = None,
                       volume_cc: float | None = None) -> float:
        """Dose (cGy) received by at least this volume of the ROI (D at % or at cc)."""
        if (volume_percent is None) == (volume_cc is None):
            raise BackendError("give exactly one of volume_percent or volume_cc")
        dose = self._dvh(roi)
        fraction = volume_percent / 100.0 if volume_percent is not None else volume_cc / self.roi_volume_cc(roi)
        return dose.dose_at_volume(min(max(fraction, 0.0), 1.0))

    def volume_at_dose(self, roi: str, dose_cgy: float, absolute: bool = False) -> float:
        """Volume of the ROI receiving at least `dose_cgy`: percent, or cc when `absolute`."""
        fraction = self._dvh(roi).volume_at_dose(dose_cgy)
        return fraction * self.roi_volume_cc(roi) if absolute else 100.0 * fraction

    def dose_statistic(self, roi: str, statistic: DoseStatistic) -> float:
        """Mean, minimum or maximum dose (cGy) in the ROI."""
        dose = self._dvh(roi)
        return {DoseStatistic.MEAN: dose.mean, DoseStatistic.MIN: dose.min, DoseStatistic.MAX: dose.max}[statistic]

    def dvh(self, roi: str, step_cgy: float = 10.0) -> list[tuple[float, float]]:
        """Cumulative DVH: (dose cGy, volume %) pairs in steps of `step_cgy`."""
        if step_cgy <= 0:
            raise BackendError("the DVH step must be positive")
        return self._dvh(roi).cumulative(step_cgy)

    def evaluate_goals(self) -> list[GoalResult]:
        """Every clinical goal of the plan evaluated on the current dose."""
        plan = self._current()
        return [clinical_goals.evaluate(g, self._dvh(g.roi), self.roi_volume_cc(g.roi)) for g in plan.goals]

    # -- the session -----------------------------------------------------------------------------------
    def wait_for_user(self, message: str) -> None:
        """Nobody to wait for offline: log the message and continue."""
        log.info("wait for user (continuing): %s", message)

    def save(self) -> None:
        """Nothing to persist offline; counts the saves in `saves`."""
        self.saves += 1

    def progress(self, message: str, percent: float | None = None) -> None:
        """Log progress."""
        log.info("progress%s: %s", f" {percent:.0f} %" if percent is not None else "", message)

    def step(self, label: str) -> contextlib.AbstractContextManager[None]:
        """A context around one node's calls (nothing to undo offline)."""
        return contextlib.nullcontext()
