"""The RayStation objects a run works on, and how every call to them is made.

Every RayStation method is called with keywords through `call`, every property set through `assign`; a
failure becomes `RayStationError` naming the object, the method and its arguments. Nothing here saves
the patient.
"""

from __future__ import annotations

import logging
from functools import cached_property
from typing import Any

from planflow_qt.backends.base import BackendError
from planflow_qt.backends.raystation.adapters import VersionAdapters
from planflow_qt.backends.raystation.api import RayStationError, Scripting, describe_call, find_scripting

log = logging.getLogger(__name__)


class Session:
    """The case, examination, plan, beam set and optimization of one run, found lazily."""

    def __init__(self, scripting: Scripting | None = None):
        self.scripting = scripting or find_scripting()
        self.adapters = VersionAdapters(self._application_version)
        self._plan: Any = None
        self._beam_set: Any = None
        self._optimization: Any = None
        self.optimization_label = "plan.PlanOptimizations[0]"

    # -- calls -----------------------------------------------------------------------------------------------
    def call(self, label: str, obj: Any, method: str, **kwargs: Any) -> Any:
        """`obj.method(**kwargs)`; any failure becomes RayStationError naming `label.method(kwargs)`."""
        try:
            return getattr(obj, method)(**kwargs)
        except Exception as exc:
            raise RayStationError(describe_call(label, method, kwargs), exc) from exc

    def assign(self, label: str, obj: Any, name: str, value: Any) -> None:
        """`obj.name = value`; a refusal becomes RayStationError naming the property and the value."""
        try:
            setattr(obj, name, value)
        except Exception as exc:
            raise RayStationError(f"{label}.{name} = {value!r}", exc) from exc

    def current(self, kind: str, missing: str) -> Any:
        """`get_current(kind)`, or BackendError(`missing`) when nothing is current."""
        found = self.scripting.current(kind)
        if found is None:
            raise BackendError(missing)
        return found

    def _application_version(self) -> str:
        ui = self.scripting.current("ui")
        try:
            return str(ui.GetApplicationVersion()) if ui is not None else "(version unknown)"
        except Exception as exc:  # the version is only logged: never fail a run for it
            log.debug("GetApplicationVersion failed: %s", exc)
            return "(version unknown)"

    # -- the objects -------------------------------------------------------------------------------------------
    @cached_property
    def case(self) -> Any:
        """The case open in RayStation, found when first needed."""
        return self.current("Case", "no case is open in RayStation: open a patient and a case, then run the flow "
                                    "again")

    @cached_property
    def exam(self) -> Any:
        """The planning examination selected in RayStation, found when first needed."""
        return self.current("Examination", "no examination is selected in RayStation: select the planning CT, "
                                           "then run the flow again")

    def structure_set(self) -> Any:
        return self.case.PatientModel.StructureSets[self.exam.Name]

    def geometry(self, roi: str) -> Any:
        """The ROI's geometry on the planning examination."""
        geometries = self.structure_set().RoiGeometries
        if roi not in geometries:
            raise BackendError(f"no ROI named {roi!r} in the case")
        return geometries[roi]

    def use_plan(self, plan: Any, beam_set: Any) -> None:
        """Work on `plan` and `beam_set` from now on, and on the optimization whose `OptimizedBeamSets` holds
        the beam set (RayStation hands out a new wrapper on every access: objects are matched by name)."""
        label = beam_set.DicomPlanLabel
        found = next(((i, po) for i, po in enumerate(plan.PlanOptimizations)
                      if any(b.DicomPlanLabel == label for b in po.OptimizedBeamSets)), None)
        if found is None:
            raise BackendError(f"plan {plan.Name!r} has no optimization of beam set {label!r}")
        index, optimization = found
        self._plan, self._beam_set, self._optimization = plan, beam_set, optimization
        self.optimization_label = f"plan.PlanOptimizations[{index}]"

    def _need_plan(self) -> None:
        if self._plan is None:
            raise BackendError("no plan: a 'New plan' or 'Current plan' node must come first")

    @property
    def plan(self) -> Any:
        self._need_plan()
        return self._plan

    @property
    def beam_set(self) -> Any:
        self._need_plan()
        return self._beam_set

    @property
    def optimization(self) -> Any:
        self._need_plan()
        return self._optimization

    def total_dose(self) -> Any:
        return self.plan.TreatmentCourse.TotalDose
