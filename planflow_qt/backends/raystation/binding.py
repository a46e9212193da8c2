"""What the editor needs to work on the RayStation case it was opened from."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from planflow_qt.backends.raystation.api import Scripting, find_scripting
from planflow_qt.backends.raystation.backend import RayStationBackend
from planflow_qt.backends.raystation.clashes import machine_names

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RayStationBinding:
    """The current RayStation case, as the editor sees it.

    `backend_factory()` makes a fresh RayStationBackend for each run (it finds the case, examination and
    plan when first used); `roi_names` are the case's contoured ROIs, offered when matching flow ROIs;
    `goal_templates` the clinical goal templates of the PatientDB; `machines` the commissioned machines;
    `case_label` is "patient / case" for the window title.
    """

    backend_factory: Callable[[], RayStationBackend]
    roi_names: list[str] = field(default_factory=list)
    goal_templates: list[str] = field(default_factory=list)
    machines: list[str] = field(default_factory=list)
    case_label: str = ""


def goal_template_names(scripting: Scripting) -> list[str]:
    """Names of the clinical goal templates (`PatientDB.GetClinicalGoalTemplateInfo()`); [] if unavailable."""
    db = scripting.current("PatientDB")
    try:
        return [str(t["Name"]) for t in db.GetClinicalGoalTemplateInfo()] if db is not None else []
    except Exception as exc:
        log.warning("clinical goal templates could not be read: %s", exc)
        return []


def case_label(scripting: Scripting) -> str:
    """'patient / case' of the current case ('' when unknown)."""
    patient, case = scripting.current("Patient"), scripting.current("Case")
    return " / ".join(str(n) for n in (getattr(patient, "Name", None), getattr(case, "CaseName", None)) if n)


def bind_current_case(scripting: Scripting | None = None) -> RayStationBinding:
    """The binding of the case open in RayStation; BackendError when no case is open."""
    scripting = scripting or find_scripting()
    roi_names = RayStationBackend(scripting).roi_names()
    return RayStationBinding(backend_factory=functools.partial(RayStationBackend, scripting), roi_names=roi_names,
                             goal_templates=goal_template_names(scripting),
                             machines=machine_names(scripting) or [], case_label=case_label(scripting))
