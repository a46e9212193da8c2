"""Run progress for RayStation: its status bar (`set_progress`) and a plain console observer."""

from __future__ import annotations

import logging
from typing import TextIO

from planflow_qt.backends.base import Backend
from planflow_qt.engine.events import EventKind, RunEvent

log = logging.getLogger(__name__)


class StatusBarProgress:
    """Shows the running node and round through `backend.progress` (RayStation: `set_progress`).

    A status bar that refuses an update never stops the run: the failure is logged once.
    """

    def __init__(self, backend: Backend):
        self.backend = backend
        self._failed = False

    def __call__(self, event: RunEvent) -> None:
        if event.kind is EventKind.NODE_STARTED:
            where = f" round {event.round}" if event.round else ""
            self._show(f"PlanFlow{where}: {event.message}")
        elif event.kind is EventKind.RUN_FINISHED:
            self._show("PlanFlow: finished", 100.0)

    def _show(self, message: str, percent: float | None = None) -> None:
        try:
            self.backend.progress(message, percent)
        except Exception as exc:
            if not self._failed:
                log.warning("progress cannot be shown in RayStation: %s", exc)
            self._failed = True


class PlainProgress:
    """Writes the run's rounds, metrics, warnings and end to a text stream (when rich is not installed)."""

    def __init__(self, stream: TextIO):
        self.stream = stream
        self._metrics: list[str] = []

    def _line(self, text: str) -> None:
        self.stream.write(text + "\n")
        self.stream.flush()

    def __call__(self, event: RunEvent) -> None:
        kind = event.kind
        if kind is EventKind.ROUND_STARTED:
            self._metrics = []
        elif kind is EventKind.METRIC:
            self._metrics.append(event.message)
        elif kind is EventKind.ROUND_FINISHED:
            shown = "; ".join(self._metrics[:8])
            self._line(event.message + (f"  {shown}" if shown else ""))
        elif kind is EventKind.WARNING:
            self._line(f"warning {event.node_id}: {event.message}")
        elif kind is EventKind.RUN_FAILED:
            self._line(f"failed {event.message}")
        elif kind in (EventKind.RUN_STARTED, EventKind.RUN_FINISHED, EventKind.RUN_STOPPED):
            self._line(event.message)
