"""The Backend protocol: every call a node makes, in the language of planning.

A backend is the world a flow runs in: RayStation (`backends/raystation/`), the simulated phantom patient
(`backends/simulated/`), or the recording double used by tests. Nodes call only these methods.

Conventions: ROI names are the names in the case (the interpreter maps flow names first); doses are total
course cGy; relative volumes are percent 0-100, absolute volumes cc; lengths cm. Methods raise
`BackendError` (or any exception) when the world refuses; the interpreter names the node and call.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Protocol, runtime_checkable

from planflow_qt.model.planning import (
    Arc,
    BeamSettings,
    BooleanOperation,
    ClinicalGoal,
    DoseAlgorithm,
    DoseStatistic,
    FunctionSpec,
    FunctionState,
    GoalResult,
    Margin,
    OptimizationSettings,
    PlanSetup,
    Prescription,
    ProtonBeam,
    Robustness,
    RoiOperand,
)


class BackendError(RuntimeError):
    """The planning system refused a call (missing ROI, duplicate name, unsupported feature...)."""


class UserStopped(RuntimeError):
    """The user chose to stop the run while it waited for them."""


@runtime_checkable
class Backend(Protocol):
    """What a planning system offers to a flow."""

    name: str
    exports_dicom: bool
    """Whether `export_dicom` can export the plan as DICOM files."""
    evaluates_scenarios: bool
    """Whether `dose_scenarios` / `scenario` can evaluate robustness scenarios; flows that need them are
    refused by the preflight on a backend that cannot."""

    # -- the case --------------------------------------------------------------------------------------
    def roi_names(self) -> list[str]:
        """Names of the ROIs of the case that have a geometry."""

    def roi_volume_cc(self, roi: str) -> float:
        """Volume of an ROI (cc)."""

    def create_roi_algebra(self, name: str, a: RoiOperand, b: RoiOperand | None,
                           operation: BooleanOperation, result_margin: Margin, roi_type: str,
                           color: str) -> None:
        """Create (or replace the geometry of) ROI `name` = (A op B) with margins. Operand ROIs are case names."""

    def create_roi_margin(self, name: str, source: str, margin: Margin, roi_type: str, color: str) -> None:
        """Create (or replace) ROI `name` as `source` expanded or contracted."""

    def create_roi_wall(self, name: str, source: str, outward_cm: float, inward_cm: float,
                        roi_type: str, color: str) -> None:
        """Create (or replace) a wall (ring) around `source`: `outward_cm` outside, `inward_cm` inside."""

    def create_roi_from_dose(self, name: str, threshold_cgy: float, roi_type: str, color: str) -> None:
        """Create (or replace) ROI `name` from the isodose `threshold_cgy` of the current total dose."""

    # -- the plan --------------------------------------------------------------------------------------
    def create_plan(self, setup: PlanSetup) -> str:
        """Create a plan and its beam set; return the plan name."""

    def use_current_plan(self) -> str:
        """Work on the plan that is open; return its name."""

    def set_prescription(self, prescription: Prescription) -> None:
        """Set the primary prescription of the beam set."""

    def set_isocenter(self, roi: str | None = None, poi: str | None = None,
                      position_cm: tuple[float, float, float] | None = None) -> tuple[float, float, float]:
        """Place the isocenter at an ROI's center, a POI or coordinates (cm); return the position."""

    def add_vmat_arcs(self, arcs: list[Arc]) -> None:
        """Add VMAT arcs to the beam set at the isocenter."""

    def add_proton_beams(self, beams: list[ProtonBeam]) -> None:
        """Add pencil-beam scanning proton beams to the beam set at the isocenter."""

    def add_clinical_goals(self, goals: list[ClinicalGoal], template: str | None,
                           roi_map: dict[str, str]) -> None:
        """Add listed goals and/or the goals of a template (template ROI -> case ROI via `roi_map`)."""

    def set_robustness(self, robustness: Robustness) -> None:
        """Store the robustness scenarios used by robust functions."""

    def set_beam_settings(self, settings: BeamSettings) -> None:
        """Beam optimization settings of every beam: jaws and arc conversion (photons), the ROI whose
        fluence is protected (photons) or that no spot may pass through (protons)."""

    def set_optimization_settings(self, settings: OptimizationSettings) -> None:
        """Iterations, tolerance and dose settings of the optimization."""

    # -- optimization functions ------------------------------------------------------------------------
    def function_tags(self) -> list[str]:
        """Tags of the functions in the plan, objectives and constraints, in order."""

    def add_function(self, spec: FunctionSpec) -> None:
        """Add a function; `spec.tag` is set and not yet used; `spec.roi` is a case ROI name."""

    def update_function(self, tag: str, spec: FunctionSpec) -> None:
        """Replace type, ROI, parameters and flags of the function tagged `tag`."""

    def function_state(self, tag: str) -> FunctionState:
        """The function tagged `tag` with its current value and achieved level."""

    def run_optimization(self) -> None:
        """Run the optimization from the current state (warm start)."""

    def reset_optimization(self) -> None:
        """Discard the optimized state; the next optimization starts afresh."""

    def normalize_to_prescription(self) -> None:
        """Scale the plan so the primary prescription is met exactly."""

    def compute_final_dose(self, algorithm: DoseAlgorithm) -> None:
        """Compute the final dose with `algorithm`."""

    def export_dicom(self, folder: str) -> None:
        """Export the planning CT, structure set, plan and dose as DICOM into `folder`; backends that cannot
        have `exports_dicom` False and are refused by the preflight."""

    # -- dose queries on the current total dose --------------------------------------------------------
    def dose_at_volume(self, roi: str, volume_percent: float | None = None,
                       volume_cc: float | None = None) -> float:
        """Dose (cGy) received by at least this volume of the ROI (D at % or at cc)."""

    def volume_at_dose(self, roi: str, dose_cgy: float, absolute: bool = False) -> float:
        """Volume of the ROI receiving at least `dose_cgy`: percent, or cc when `absolute`."""

    def dose_statistic(self, roi: str, statistic: DoseStatistic) -> float:
        """Mean, minimum or maximum dose (cGy) in the ROI."""

    def dvh(self, roi: str, step_cgy: float = 10.0) -> list[tuple[float, float]]:
        """Cumulative DVH: (dose cGy, volume %) pairs in steps of `step_cgy`."""

    def evaluate_goals(self) -> list[GoalResult]:
        """Every clinical goal of the plan evaluated on the current dose."""

    def dose_scenarios(self) -> list[str]:
        """Names of the robustness scenarios the current dose can be evaluated in, the nominal one first
        (named "nominal"); empty when the plan has none (no robustness settings, or a photon plan)."""

    def scenario(self, name: str) -> AbstractContextManager[None]:
        """A context within which the dose queries (dose at volume, volume at dose, statistics, DVH) read
        the dose of scenario `name` (one of `dose_scenarios()`) instead of the nominal dose."""

    # -- the session -----------------------------------------------------------------------------------
    def wait_for_user(self, message: str) -> None:
        """Pause until the user continues; raise `UserStopped` if they stop."""

    def save(self) -> None:
        """Persist the patient."""

    def progress(self, message: str, percent: float | None = None) -> None:
        """Show progress to the user."""

    def step(self, label: str) -> AbstractContextManager[None]:
        """A context around one node's calls (RayStation: one undo step)."""
