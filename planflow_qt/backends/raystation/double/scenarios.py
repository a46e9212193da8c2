"""The double's robustness evaluation: scenario groups of a beam set and their scenario fraction doses.

A group is made from position and density uncertainties (`CreateRadiationSetScenarioGroup`); its doses are
those of the simulated backend's robustness scenarios of the plan (the plan's robustness settings), computed
by `ComputeScenarioGroupDoseValues` and read as fraction doses (`DiscreteFractionDoseScenarios`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from planflow_qt.backends.raystation.double.base import Collection, RsObject, rs_method
from planflow_qt.backends.raystation.double.evaluation import DoseDistribution

if TYPE_CHECKING:
    from planflow_qt.backends.raystation.double.plan import BeamSet
    from planflow_qt.backends.raystation.double.world import World

NOMINAL = "nominal"


class ScenarioGroup(RsObject):
    """A radiation set scenario group: its scenario doses exist once computed."""

    _stub_class = "RadiationSetScenarioGroup"

    def __init__(self, world: World, beam_set: BeamSet, name: str, kw: dict[str, Any]):
        super().__init__(world, f"case.TreatmentDelivery.RadiationSetScenarioGroups[{name!r}]")
        self._beam_set, self._name, self._kw = beam_set, name, kw
        self._doses: list[DoseDistribution] = []

    Name = property(lambda self: self._name)
    ReferencedRadiationSet = property(lambda self: self._beam_set)

    @property
    def DiscreteFractionDoseScenarios(self) -> list[DoseDistribution]:
        return list(self._doses)

    def _compute(self) -> None:
        self._beam_set._plan._require_sim()
        names = [n for n in self._world.sim.dose_scenarios() if n != NOMINAL]
        if not names:
            raise SystemError("the beam set has no robustness scenarios to compute (no robustness settings, "
                              "or no dose)")
        plan, beam_set = self._beam_set._plan, self._beam_set
        self._doses = [DoseDistribution(self._world, plan, f"{self._path}.DiscreteFractionDoseScenarios[{i}]",
                                        fractions=lambda: beam_set._fractions, scenario=name)
                       for i, name in enumerate(names)]

    @rs_method
    def ComputeScenarioGroupDoseValues(self) -> None:
        self._compute()

    @rs_method
    def DeleteRadiationSetScenarioGroup(self) -> None:
        self._world.case.TreatmentDelivery._groups._remove(self)


class TreatmentDelivery(RsObject):
    """The case's treatment delivery: its radiation set scenario groups."""

    _stub_class = "TreatmentDelivery"

    def __init__(self, world: World):
        super().__init__(world, "case.TreatmentDelivery")
        self._groups = Collection(world, f"{self._path}.RadiationSetScenarioGroups")

    RadiationSetScenarioGroups = property(lambda self: self._groups)
