"""API profiles of the double: what a RayStation version offers, as the facts table of the 2025 stubs plus the
documented differences that public scripts show.

- `2025-stubs`: exactly the stubs (`facts_2025.json`); nothing else exists.
- `2025`: the stubs plus `PlanningPhase.EditOptimizationFunction`, which RayStation 2025 scripts call
  (Planning-Flow) although the stubs lack it.
- `2024B`: the stubs plus `SpotTuneId` on `CreatePBSIonBeam` (2024B scripts pass it), without
  `EditOptimizationFunction` (2024B scripts delete and re-add a function) and without
  `PhotonBeam.SetFluenceProtectRoi` (2024B scripts protect an ROI with `SetTreatOrProtectRoi`); proton
  final doses named `IonPencilBeam` / `IonMonteCarlo` (2025: `SpotWeightPencilBeam` / `SpotWeightMonteCarlo`);
  no `raystation` package, only `connect`.

Every profile returns `GetCenterOfRoi()` as a dict with attribute access, as every public script reads it,
where the stubs say `Tuple[float, ...]`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from planflow_qt.backends.raystation.double.facts import Facts, Member, Parameter, load_facts

_BEAM_SETS = ("TreatmentSetupIncludingRadiationSet", "RadiationSet")
_OPTIMIZATIONS = ("PlanningPhase", "OptimizationProblem")


def _edit_function(owner: str) -> Member:
    keywords = ("FunctionType:str DoseBasedRoiFunction:Any RoiName:str ?IsConstraint:bool "
                "?RestrictAllBeamsIndividually:bool ?RestrictToBeams:List[str] ?IsRobust:bool "
                "?RestrictToBeamSet:Optional[str] ?UseRbeDose:bool ?UseEqd:bool")
    parameters = []
    for word in keywords.split():
        name, annotation = word.lstrip("?").split(":")
        parameters.append(Parameter(name, annotation, word.startswith("?")))
    return Member(owner, "EditOptimizationFunction", "method", "None", parameters=tuple(parameters))


@dataclass(frozen=True)
class ApiProfile:
    """One RayStation version as the double plays it: the facts table with members added or removed.

    `added` holds whole members, `extra_keywords` keywords added to a method of the stubs, `removed` members
    the version lacks; keys are (class, member).
    """

    generation: str
    version: str
    raystation_package: bool
    added: dict[tuple[str, str], Member] = field(default_factory=dict)
    extra_keywords: dict[tuple[str, str], tuple[Parameter, ...]] = field(default_factory=dict)
    removed: frozenset[tuple[str, str]] = frozenset()
    pbs_algorithms: tuple[str, str] = ("SpotWeightPencilBeam", "SpotWeightMonteCarlo")

    @property
    def facts(self) -> Facts:
        return load_facts()

    def member(self, cls: str, name: str) -> Member | None:
        """The member `name` of class `cls` in this version (None: it does not exist)."""
        if (cls, name) in self.removed:
            return None
        if (cls, name) in self.added:
            return self.added[(cls, name)]
        member = self.facts.member(cls, name)
        extra = self.extra_keywords.get((cls, name))
        if member is not None and extra:
            member = Member(member.owner, member.name, member.kind, member.annotation, member.setter,
                            member.parameters + extra)
        return member


PROFILES: dict[str, ApiProfile] = {
    "2025-stubs": ApiProfile("2025-stubs", "17.0.0.0 (PlanFlow test double, 2025 stubs)", True),
    "2025": ApiProfile("2025", "17.0.0.0 (PlanFlow test double)", True,
                       added={(cls, "EditOptimizationFunction"): _edit_function(cls) for cls in _OPTIMIZATIONS}),
    "2024B": ApiProfile("2024B", "16.0.0.0 (PlanFlow test double)", False,
                        extra_keywords={(cls, "CreatePBSIonBeam"): (Parameter("SpotTuneId", "str", True),)
                                        for cls in _BEAM_SETS},
                        removed=frozenset({("PhotonBeam", "SetFluenceProtectRoi")}),
                        pbs_algorithms=("IonPencilBeam", "IonMonteCarlo")),
}
"""The versions the double plays, by name."""
