"""The report's list of what a failed or stopped run changed in the case and did not save."""

from __future__ import annotations

from html import escape

from planflow_qt.engine.events import EventKind, RunEvent
from planflow_qt.engine.ledger import unsaved_summary


def unsaved_html(events: list[RunEvent]) -> str:
    """A heading and list of the unsaved changes of the run's end event; empty when there are none."""
    ends = [e for e in events if e.kind in (EventKind.RUN_FAILED, EventKind.RUN_STOPPED)]
    lines = unsaved_summary(ends[-1].data) if ends else []
    if not lines:
        return ""
    items = "".join(f"<li>{escape(line.strip())}</li>" for line in lines[1:])
    return f"<h2>Not saved in the case</h2><p class='fail'>{escape(lines[0])}</p><ul>{items}</ul>"
