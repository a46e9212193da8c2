"""The double's databases and application: PatientDB goal templates, MachineDB machines, the ui's version."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from planflow_qt.backends.raystation.double.base import RsObject, rs_method

if TYPE_CHECKING:
    from planflow_qt.backends.raystation.double.world import World


class ClinicalGoalTemplate(RsObject):
    """A clinical goal template as loaded from the PatientDB."""

    _stub_class = "TemplateTreatmentOptimization"

    def __init__(self, world: World, name: str, goals: list):
        super().__init__(world, f"PatientDB.ClinicalGoalTemplates[{name!r}]")
        self._name, self._goals = name, goals

    @property
    def Name(self) -> str:
        return self._name


class PatientDB(RsObject):
    """Templates of the clinic: the simulated clinic's clinical goal templates."""

    _stub_class = "PatientDB"

    def __init__(self, world: World):
        super().__init__(world, "PatientDB")

    def _templates(self) -> dict[str, list]:
        from planflow_qt.backends.simulated.goals import TEMPLATES

        return TEMPLATES

    @rs_method
    def GetClinicalGoalTemplateInfo(self) -> list[dict[str, Any]]:
        return [{"Name": name, "Description": f"{len(goals)} goals"} for name, goals in self._templates().items()]

    @rs_method
    def LoadTemplateClinicalGoals(self, **kw: Any) -> ClinicalGoalTemplate:
        name = kw["templateName"]
        if kw.get("lockMode", "Read") not in ("Read", "Write"):
            raise SystemError(f"lockMode must be 'Read' or 'Write', not {kw['lockMode']!r}")
        templates = self._templates()
        if name not in templates:
            raise SystemError(f"No clinical goal template named {name!r}.")
        return ClinicalGoalTemplate(self._world, name, list(templates[name]))


class MachineDB(RsObject):
    """Commissioned treatment machines."""

    _stub_class = "MachineDB"

    def __init__(self, world: World):
        super().__init__(world, "MachineDB")

    @rs_method
    def QueryCommissionedMachineInfo(self, **kw: Any) -> list[dict[str, Any]]:
        wanted = kw["Filter"] or {}
        machines = [{"Name": name, "IsLinac": modality == "Photons", "IsDeprecated": False}
                    for name, modality in self._world.machines.items()]
        return [m for m in machines if all(m.get(k) == v for k, v in wanted.items())]


class Ui(RsObject):
    """The application."""

    def __init__(self, world: World):
        super().__init__(world, "ui")

    @rs_method
    def GetApplicationVersion(self) -> str:
        return self._world.profile.version
