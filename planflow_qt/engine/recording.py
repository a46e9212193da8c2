"""A recording test double of the Backend protocol: scripted answers, every call recorded.

Tests use it to assert the exact sequence of calls a flow makes. Answers to dose queries and function
values are scripted: a constant, a list consumed one per optimization round, or a callable.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager
from typing import Any

from planflow_qt.backends.base import BackendError
from planflow_qt.model.planning import FunctionSpec, FunctionState, GoalResult

Answer = float | list[float] | Callable[..., float]


class RecordingBackend:
    """Backend double. `rois`: the case's ROI names. `answers`: key -> Answer, keys are
    `"dose_at_volume:PTV"`, `"volume_at_dose:Lungs"`, `"dose_statistic:Heart"`, `"value:TAG"`
    (function value) and `"achieved:TAG"`. A list answer is indexed by the number of optimizations run
    so far (clamped to its end). `fail`: `(method, n)` raises BackendError on the n-th call of method.
    `scenarios`: the dose scenarios offered; inside `scenario(name)` a key with the suffix `@name`
    (`"dose_at_volume:PTV@left 0.5 cm"`) answers first.
    """

    name = "recording"
    evaluates_scenarios = True
    exports_dicom = True

    def __init__(self, rois: list[str] | None = None, answers: dict[str, Answer] | None = None,
                 fail: tuple[str, int] | None = None, scenarios: list[str] | None = None):
        self.rois = list(rois or [])
        self.answers = dict(answers or {})
        self.fail = fail
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.functions: dict[str, FunctionSpec] = {}
        self.optimizations = 0
        self.goals: list = []
        self.scenarios = list(scenarios or [])
        self.current_scenario: str | None = None

    # -- recording -----------------------------------------------------------------------------------------------
    def _record(self, method: str, /, **kwargs: Any) -> None:
        self.calls.append((method, kwargs))
        if self.fail and self.fail[0] == method and self.count(method) == self.fail[1]:
            raise BackendError(f"{method} refused (scripted failure)")

    def count(self, method: str) -> int:
        return sum(1 for name, _ in self.calls if name == method)

    def names(self, skip: tuple[str, ...] = ("roi_names", "function_tags", "function_state", "progress")) -> list[str]:
        """Method names in call order, without the read-only bookkeeping calls."""
        return [name for name, _ in self.calls if name not in skip]

    def _answer(self, key: str, default: float | None = None, **kwargs: Any) -> float | None:
        if self.current_scenario is not None and f"{key}@{self.current_scenario}" in self.answers:
            key = f"{key}@{self.current_scenario}"
        answer = self.answers.get(key, default)
        if callable(answer):
            return answer(round=self.optimizations, **kwargs)
        if isinstance(answer, list):
            return answer[min(max(self.optimizations - 1, 0), len(answer) - 1)]
        return answer

    # -- the case ------------------------------------------------------------------------------------------------
    def roi_names(self) -> list[str]:
        self._record("roi_names")
        return list(self.rois)

    def roi_volume_cc(self, roi: str) -> float:
        self._record("roi_volume_cc", roi=roi)
        self._need_roi(roi)
        return 100.0

    def _need_roi(self, roi: str) -> None:
        if roi not in self.rois:
            raise BackendError(f"ROI {roi!r} is not in the case")

    def _create(self, method: str, name: str, sources: list[str], **kwargs: Any) -> None:
        self._record(method, name=name, **kwargs)
        for source in sources:
            self._need_roi(source)
        if name not in self.rois:
            self.rois.append(name)

    def create_roi_algebra(self, name, a, b, operation, result_margin, roi_type, color) -> None:
        sources = [*a.rois, *(b.rois if b else [])]
        self._create("create_roi_algebra", name, sources, a=a.rois, b=b.rois if b else None,
                     operation=operation.value)

    def create_roi_margin(self, name, source, margin, roi_type, color) -> None:
        self._create("create_roi_margin", name, [source], source=source)

    def create_roi_wall(self, name, source, outward_cm, inward_cm, roi_type, color) -> None:
        self._create("create_roi_wall", name, [source], source=source, outward_cm=outward_cm, inward_cm=inward_cm)

    def create_roi_from_dose(self, name, threshold_cgy, roi_type, color) -> None:
        self._create("create_roi_from_dose", name, [], threshold_cgy=threshold_cgy)

    # -- the plan ------------------------------------------------------------------------------------------------
    def create_plan(self, setup) -> str:
        self._record("create_plan", name=setup.name, technique=setup.technique.value, fractions=setup.fractions)
        return setup.name

    def use_current_plan(self) -> str:
        self._record("use_current_plan")
        return "current"

    def set_prescription(self, prescription) -> None:
        self._record("set_prescription", roi=prescription.roi, dose_cgy=prescription.dose_cgy)

    def set_isocenter(self, roi=None, poi=None, position_cm=None):
        self._record("set_isocenter", roi=roi, poi=poi, position_cm=position_cm)
        return position_cm or (0.0, 0.0, 0.0)

    def add_vmat_arcs(self, arcs) -> None:
        self._record("add_vmat_arcs", arcs=[a.name for a in arcs])

    def add_proton_beams(self, beams) -> None:
        self._record("add_proton_beams", beams=[b.name for b in beams])

    def add_clinical_goals(self, goals, template, roi_map) -> None:
        self._record("add_clinical_goals", goals=len(goals), template=template)
        self.goals.extend(goals)

    def set_robustness(self, robustness) -> None:
        self._record("set_robustness", method=robustness.method.value)

    def set_beam_settings(self, settings) -> None:
        self._record("set_beam_settings", jaw_motion=settings.jaw_motion.value, avoid_roi=settings.avoid_roi)

    def export_dicom(self, folder) -> None:
        self._record("export_dicom", folder=str(folder))

    def set_optimization_settings(self, settings) -> None:
        self._record("set_optimization_settings", iterations=settings.iterations)

    # -- functions -----------------------------------------------------------------------------------------------
    def function_tags(self) -> list[str]:
        self._record("function_tags")
        return list(self.functions)

    def add_function(self, spec: FunctionSpec) -> None:
        self._record("add_function", tag=spec.tag, roi=spec.roi, type=spec.type.value)
        self._need_roi(spec.roi)
        if spec.tag in self.functions:
            raise BackendError(f"a function tagged {spec.tag!r} exists")
        self.functions[spec.tag] = spec

    def update_function(self, tag: str, spec: FunctionSpec) -> None:
        self._record("update_function", tag=tag, dose_cgy=spec.dose_cgy, weight=spec.weight)
        if tag not in self.functions:
            raise BackendError(f"no function tagged {tag!r}")
        self.functions[tag] = spec

    def function_state(self, tag: str) -> FunctionState:
        self._record("function_state", tag=tag)
        spec = self.functions[tag]
        if not self.optimizations:
            return FunctionState(spec=spec)
        return FunctionState(spec=spec, value=self._answer(f"value:{tag}", 0.0, tag=tag),
                             achieved=self._answer(f"achieved:{tag}", spec.dose_cgy, tag=tag))

    def run_optimization(self) -> None:
        self._record("run_optimization")
        self.optimizations += 1

    def reset_optimization(self) -> None:
        self._record("reset_optimization")

    def normalize_to_prescription(self) -> None:
        self._record("normalize_to_prescription")

    def compute_final_dose(self, algorithm) -> None:
        self._record("compute_final_dose", algorithm=algorithm.value)

    # -- dose queries --------------------------------------------------------------------------------------------
    def dose_at_volume(self, roi, volume_percent=None, volume_cc=None) -> float:
        self._record("dose_at_volume", roi=roi, volume_percent=volume_percent, volume_cc=volume_cc)
        self._need_roi(roi)
        return self._answer(f"dose_at_volume:{roi}", 0.0, roi=roi)

    def volume_at_dose(self, roi, dose_cgy, absolute=False) -> float:
        self._record("volume_at_dose", roi=roi, dose_cgy=dose_cgy, absolute=absolute)
        self._need_roi(roi)
        return self._answer(f"volume_at_dose:{roi}", 0.0, roi=roi)

    def dose_statistic(self, roi, statistic) -> float:
        self._record("dose_statistic", roi=roi, statistic=statistic.value)
        self._need_roi(roi)
        return self._answer(f"dose_statistic:{roi}", 0.0, roi=roi)

    def dvh(self, roi, step_cgy=10.0):
        self._record("dvh", roi=roi)
        return [(0.0, 100.0)]

    def evaluate_goals(self) -> list[GoalResult]:
        self._record("evaluate_goals")
        met = bool(self._answer("goals_met", 1.0))
        return [GoalResult(goal=g, value=0.0, met=met) for g in self.goals]

    def dose_scenarios(self) -> list[str]:
        self._record("dose_scenarios")
        return list(self.scenarios)

    @contextmanager
    def scenario(self, name: str):
        self._record("scenario", name=name)
        if name not in self.scenarios:
            raise BackendError(f"no dose scenario {name!r}")
        previous, self.current_scenario = self.current_scenario, name
        try:
            yield
        finally:
            self.current_scenario = previous

    # -- session -------------------------------------------------------------------------------------------------
    def wait_for_user(self, message: str) -> None:
        self._record("wait_for_user", message=message)

    def save(self) -> None:
        self._record("save")

    def progress(self, message: str, percent: float | None = None) -> None:
        self._record("progress", message=message)

    @contextmanager
    def step(self, label: str):
        yield
