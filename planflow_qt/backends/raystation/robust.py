"""Robust evaluation on RayStation: the beam set's scenario doses, made from its robustness settings.

A radiation set scenario group (`CreateRadiationSetScenarioGroup`) with the position and density
uncertainties the flow set (or that the open plan holds) is made once per run and its doses recomputed
(`ComputeScenarioGroupDoseValues`) whenever the plan's dose changed; its `DiscreteFractionDoseScenarios` are
read as fraction doses (see `dose.DoseQueries`).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import Any

from planflow_qt.backends.base import BackendError
from planflow_qt.backends.raystation.optimization import OptimizationCalls, position_uncertainties
from planflow_qt.model.names import next_free_name
from planflow_qt.model.planning import Robustness

log = logging.getLogger(__name__)

NOMINAL = "nominal"
GROUP_LABEL = "case.TreatmentDelivery.RadiationSetScenarioGroups"


class ScenarioEvaluation(OptimizationCalls):
    """Dose scenarios of the current beam set, for DVH conditions and clinical goals over scenarios."""

    evaluates_scenarios = True
    _robustness: Robustness | None = None
    _group: Any = None
    _group_stale = True
    _doses: list[Any] | None = None

    def _dose_changed(self) -> None:
        super()._dose_changed()
        self._group_stale = True

    def _plan_robustness(self) -> Robustness | None:
        """The robustness settings this run saved, else those saved with the plan (None when it has none)."""
        if self._robustness is not None:
            return self._robustness
        saved = self.optimization.OptimizationParameters.RobustnessParameters
        position, density = saved.PositionUncertaintyParameters, saved.DensityUncertaintyParameters
        sides = {f"{side.lower()}_cm": float(getattr(position, f"PositionUncertainty{side}") or 0.0)
                 for side in ("Superior", "Inferior", "Anterior", "Posterior", "Left", "Right")}
        percent = 100.0 * float(density.DensityUncertainty or 0.0)
        if not any(sides.values()) and not percent:
            return None
        log.info("robust evaluation uses the plan's saved robustness settings")
        return Robustness(density_percent=percent, **sides)

    def _scenario_doses(self) -> list[Any]:
        """The scenario fraction doses of the current plan's dose, read once per dose (empty without robustness
        settings)."""
        if self._doses is None or self._group_stale:
            group = self._scenario_group()
            self._doses = [] if group is None else list(group.DiscreteFractionDoseScenarios)
        return self._doses

    def _scenario_group(self) -> Any | None:
        """The run's scenario group with doses of the current plan (None without robustness settings)."""
        robustness = self._plan_robustness()
        if robustness is None:
            return None
        if self._group is None:
            delivery = self.case.TreatmentDelivery
            used = {g.Name for g in delivery.RadiationSetScenarioGroups}
            name = next_free_name(f"PlanFlow {self.beam_set.DicomPlanLabel} {{n}}", used)
            self._group = self.call("beam_set", self.beam_set, "CreateRadiationSetScenarioGroup", Name=name,
                                    UseIsotropicPositionUncertainty=False, **position_uncertainties(robustness),
                                    PositionUncertaintyFormation="AxesAndDiagonalEndPoints",
                                    DensityUncertaintyPercent=float(robustness.density_percent),
                                    NumberOfDensityDiscretizationPoints=2,
                                    ComputeScenarioDosesAfterGroupCreation=True)
            log.info("scenario group %r made for robust evaluation", name)
        elif self._group_stale:
            self.call(GROUP_LABEL, self._group, "ComputeScenarioGroupDoseValues")
        self._group_stale = False
        return self._group

    def dose_scenarios(self) -> list[str]:
        """"nominal", then one name per scenario dose of the scenario group; empty when neither the flow nor
        the plan has robustness settings."""
        doses = self._scenario_doses()
        return [NOMINAL, *(f"scenario {i + 1}" for i in range(len(doses)))] if doses else []

    @contextlib.contextmanager
    def scenario(self, name: str) -> Iterator[None]:
        """Within the context, dose queries and goals read scenario `name`'s dose, scaled to the course."""
        names = self.dose_scenarios()
        if name not in names:
            raise BackendError(f"no dose scenario {name!r}; scenarios: {', '.join(names) or 'none'}")
        previous = self._evaluation_dose
        if name != NOMINAL:
            index = names.index(name) - 1
            dose = self._scenario_doses()[index]
            self._evaluation_dose = (f"{GROUP_LABEL}[...].DiscreteFractionDoseScenarios[{index}]", dose)
        try:
            yield
        finally:
            self._evaluation_dose = previous
