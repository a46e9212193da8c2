"""The double's world: one patient and case on a simulated phantom, the current objects, and the globals
of the scripting module (`get_current`, `CompositeAction`, `await_user_input`, `set_progress`)."""

from __future__ import annotations

from types import TracebackType
from typing import Any

from planflow_qt.backends.raystation.double.databases import MachineDB, PatientDB, Ui
from planflow_qt.backends.raystation.double.patient import Case, Examination, Patient
from planflow_qt.backends.raystation.double.profiles import PROFILES
from planflow_qt.backends.raystation.double.recorder import Recorder

MACHINES = {"Halcyon": "Photons", "TrueBeam": "Photons", "Agility": "Photons", "ProteusPLUS": "Protons"}
"""Commissioned machines of the simulated clinic: name -> modality."""

CURRENT_TYPES = {"Patient": "Patient", "Case": "TreatmentCaseIncludingStudy",
                 "Plan": "TreatmentPlanIncludingTreatmentPlanGroup", "BeamSet": "TreatmentSetupIncludingRadiationSet",
                 "Examination": "Examination", "PatientDB": "PatientDB", "MachineDB": "MachineDB",
                 "ClinicDB": "ClinicDB", "ui": "Any"}
"""What `get_current` returns for each kind, as the stubs declare it (`ui` is untyped: `Any`)."""
CURRENT_NAMES = tuple(CURRENT_TYPES)


class World:
    """Everything the double knows. `generation` picks the API profile (see `profiles.PROFILES`); the case is
    the simulated phantom `case` on a `grid_mm` grid; `open_case=False` starts with no patient open;
    `user_continues=False` makes `await_user_input` stop the script.
    """

    def __init__(self, generation: str = "2025", case: str = "lung", grid_mm: float = 10.0,
                 seed: int | None = None, open_case: bool = True, user_continues: bool = True):
        try:
            from planflow_qt.backends.simulated import SimulatedBackend
        except ImportError as exc:
            raise ImportError("the RayStation test double computes its dose with PlanFlow's simulated backend "
                              f"(planflow_qt.backends.simulated), which cannot be imported ({exc}): install the "
                              "'sim' extra, e.g. pip install -e '.[sim]'") from exc

        if generation not in PROFILES:
            raise ValueError(f"unknown API generation {generation!r}; generations: {', '.join(PROFILES)}")
        self.profile = PROFILES[generation]
        self.recorder = Recorder()
        self.accesses: list[dict[str, Any]] = []
        self.refusals: list[dict[str, Any]] = []
        self.node: str | None = None
        self.sim = SimulatedBackend(case=case, grid_mm=grid_mm, seed=seed)
        self.machines = dict(MACHINES)
        self.saves = 0
        self.user_continues = user_continues
        self.messages: list[str] = []
        self.sim_plan: Any = None
        self.examination = Examination(self, "CT 1")
        self.case = Case(self, f"Phantom {case}", self.examination) if open_case else None
        self.patient = Patient(self, self.case) if open_case else None
        self.current: dict[str, Any] = {"ui": Ui(self), "PatientDB": PatientDB(self), "MachineDB": MachineDB(self)}
        if open_case:
            self.current.update(Patient=self.patient, Case=self.case, Examination=self.examination)
        self._composite: str | None = None

    def dose_of_current_plan(self) -> Any:
        """The TotalDose of the plan whose dose the simulated backend holds (None before any plan)."""
        return self.sim_plan.TreatmentCourse.TotalDose if self.sim_plan is not None else None

    def set_current(self, plan: Any, beam_set: Any | None = None) -> None:
        """Make a plan (and its beam set) current, as a planner clicking on it would."""
        self.current["Plan"] = plan
        self.current["BeamSet"] = beam_set if beam_set is not None else plan.BeamSets[0]

    # -- what a script sees ---------------------------------------------------------------------------------
    def access(self, kind: str, cls: str | None, member: str, keywords: list[str] | None = None) -> dict[str, Any]:
        """Log one access of the script (`call`, `set` or `get`) to a member of a class of the facts table."""
        entry = {"kind": kind, "class": cls or "Any", "member": member, "keywords": list(keywords or []),
                 "node": self.node}
        self.accesses.append(entry)
        return entry

    def refuse(self, entry: dict[str, Any], error: str) -> None:
        """Move an access the API refused (before doing anything) from the log to the refusals."""
        if self.accesses and self.accesses[-1] is entry:
            self.accesses.pop()
        self.refusals.append({**entry, "error": error})

    def view(self, value: Any, annotation: str) -> Any:
        """`value` as a script sees it: a typed view (see `views.py`)."""
        from planflow_qt.backends.raystation.double.views import wrap

        return wrap(self, value, annotation)

    # -- the globals of the scripting module -----------------------------------------------------------------
    def _global(self, function: str, **kwargs: Any) -> Any:
        return self.recorder.record("", function, kwargs, kind="global")

    def get_current(self, name: str) -> Any:
        """The current object of a kind; `SystemError` when none is current."""
        call = self._global("get_current", name=name)
        if name not in CURRENT_NAMES:
            call.error = "SystemError: unknown type"
            raise SystemError(f"get_current: unknown type {name!r}; types: {', '.join(CURRENT_NAMES)}")
        if name not in self.current:
            call.error = "SystemError: nothing current"
            raise SystemError(f"No {name} is loaded.")
        return self.view(self.current[name], CURRENT_TYPES[name])

    def await_user_input(self, message: str) -> None:
        """Pause for the user; stops the script when the double's user does not continue."""
        call = self._global("await_user_input", message=message)
        self.messages.append(message)
        if not self.user_continues:
            call.error = "SystemError: stopped"
            raise SystemError("The script was stopped by the user.")

    def set_progress(self, message: str, percentage: int = -1) -> None:
        """Show progress in RayStation's status bar."""
        self._global("set_progress", message=message, percentage=percentage)
        if isinstance(percentage, bool) or not isinstance(percentage, int) or not -1 <= percentage <= 100:
            raise TypeError(f"percentage must be an int within -1-100, not {percentage!r}")

    def is_gui_disabled(self) -> bool:
        """Whether RayStation runs without its GUI (never, here)."""
        self._global("is_gui_disabled")
        return False

    def composite_action_class(self) -> type:
        """The `CompositeAction` context manager bound to this world: one undo step, never nested."""
        world = self

        class CompositeAction:
            """One undo step in RayStation's history."""

            def __init__(self, name: str = ""):
                self.name = name

            def __enter__(self) -> CompositeAction:
                world._global("CompositeAction.__enter__", name=self.name)
                if world._composite is not None:
                    raise SystemError(f"CompositeAction {self.name!r} inside {world._composite!r}: "
                                      "composite actions cannot be nested")
                world._composite = self.name
                return self

            def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                         traceback: TracebackType | None) -> None:
                call = world._global("CompositeAction.__exit__", name=self.name)
                if kind is not None:
                    call.error = f"{kind.__name__}: {value}"
                world._composite = None

        return CompositeAction
