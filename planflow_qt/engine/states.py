"""Run states: of a node during a run, and of a run as a whole. They are strings (`RunStatus.COMPLETED ==
"completed"`), written as such in files and events and printed as their value."""

from __future__ import annotations

from enum import Enum


class _Named(str, Enum):
    def __str__(self) -> str:
        return self.value


class NodeState(_Named):
    """Where a node stands in a run: shown on its badge and kept in the result."""

    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    SKIPPED = "skipped"
    FAILED = "failed"


class RunStatus(_Named):
    """How a run ended (`invalid` and `refused`: nothing was changed)."""

    COMPLETED = "completed"
    FAILED = "failed"
    STOPPED = "stopped"
    REFUSED = "refused"
    INVALID = "invalid"
