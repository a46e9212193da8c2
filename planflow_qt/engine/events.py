"""Run events: what the interpreter tells its observers (progress display, editor, audit log)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any, TextIO


class EventKind(str, Enum):
    RUN_STARTED = "run_started"
    RUN_FINISHED = "run_finished"
    RUN_FAILED = "run_failed"
    RUN_STOPPED = "run_stopped"
    ROUND_STARTED = "round_started"
    ROUND_FINISHED = "round_finished"
    NODE_STARTED = "node_started"
    NODE_FINISHED = "node_finished"
    NODE_SKIPPED = "node_skipped"
    NODE_FAILED = "node_failed"
    LOG = "log"
    WARNING = "warning"
    METRIC = "metric"


@dataclass
class RunEvent:
    """One thing that happened in a run. `data` holds kind-specific details (JSON-serializable)."""

    kind: EventKind
    message: str = ""
    node_id: str | None = None
    node_type: str | None = None
    round: int | None = None
    data: dict[str, Any] = field(default_factory=dict)
    time: float = field(default_factory=time.time)

    def to_json(self) -> str:
        record = asdict(self)
        record["kind"] = self.kind.value
        return json.dumps(record, ensure_ascii=False, default=str)


Observer = Callable[[RunEvent], None]


class JsonlLog:
    """Audit log: one JSON line per event, flushed as the run goes so a crash keeps everything before it."""

    def __init__(self, path: str | Path, fresh: bool = False):
        """Append to `path`, or with `fresh` start it anew (the log of an earlier run in the folder is replaced)."""
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._handle: TextIO | None = self.path.open("w" if fresh else "a", encoding="utf-8")

    def __call__(self, event: RunEvent) -> None:
        if self._handle is None:
            return
        self._handle.write(event.to_json() + "\n")
        self._handle.flush()
        if event.kind in (EventKind.RUN_FINISHED, EventKind.RUN_FAILED, EventKind.RUN_STOPPED):
            self.close()

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None


def read_log(path: str | Path) -> list[dict[str, Any]]:
    """The events of a JSONL audit log (a last partial line is ignored)."""
    events = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        try:
            events.append(json.loads(line))
        except json.JSONDecodeError:
            break
    return events
