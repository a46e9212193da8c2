"""Checks of `planflow run` / `planflow study` options before anything starts, each a one-line message."""

from __future__ import annotations

import math
import signal
import sys
import threading
from contextlib import contextmanager

GRID_MM = (2.5, 10.0)
MAX_SEED = 2**32 - 1
_interrupted = threading.Event()


class BadOption(ValueError):
    """An option that cannot be used; the message names it and says what to give instead."""


def simulated_option_problems(case: str | None, grid_mm: float, seed: int | None) -> list[str]:
    """What is wrong with the options choosing a simulated patient (empty when nothing is)."""
    from planflow_qt.patients.phantoms import CASES

    problems = []
    if case is not None and case not in CASES:
        problems.append(f"--case {case!r}: no such simulated case; use one of {', '.join(CASES)}")
    if not (math.isfinite(grid_mm) and GRID_MM[0] <= grid_mm <= GRID_MM[1]):
        problems.append(f"--grid {grid_mm:g}: the simulated dose grid must be {GRID_MM[0]:g} to {GRID_MM[1]:g} mm")
    if seed is not None and not 0 <= seed <= MAX_SEED:
        problems.append(f"--seed {seed}: a patient seed is a whole number from 0 to {MAX_SEED}")
    return problems


def patient_option_problems(backend: str, grid_mm: float, seed: int | None) -> list[str]:
    """What is wrong with the options given with a DICOM patient (empty when nothing is)."""
    problems = []
    if backend != "simulated":
        problems.append(f"--patient plans offline: it needs --backend simulated, not {backend}")
    if not (math.isfinite(grid_mm) and GRID_MM[0] <= grid_mm <= GRID_MM[1]):
        problems.append(f"--grid {grid_mm:g}: the simulated dose grid must be {GRID_MM[0]:g} to {GRID_MM[1]:g} mm")
    if seed is not None:
        problems.append("--seed draws a phantom patient: leave it out with --patient")
    return problems


def forget_interrupt() -> None:
    """Start a command with no Ctrl+C pending."""
    _interrupted.clear()


@contextmanager
def stop_cleanly_on_ctrl_c():
    """Within: the first Ctrl+C asks the run to stop after the current node, a second one stops at once.
    After a Ctrl+C, the command's further runs (a baseline) stop before their first node.

    Yields a hook taking the interpreter (see `runner.execute`). Ctrl+C is SIGINT on Linux and Windows alike.
    """
    running = []

    def keep(interpreter) -> None:
        running.append(interpreter)
        if _interrupted.is_set():
            interpreter.request_stop()

    def first_press(signum, frame):
        if not running:
            raise KeyboardInterrupt
        _interrupted.set()
        running[0].request_stop()
        sys.stderr.write("stopping after the current node (Ctrl+C again to stop at once)\n")
        signal.signal(signal.SIGINT, signal.default_int_handler)

    previous = signal.signal(signal.SIGINT, first_press)
    try:
        yield keep
    finally:
        signal.signal(signal.SIGINT, previous)
