"""What is wrong with a flow or a run: one message about one node and field, with its severity."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Severity(str, Enum):
    """An error refuses the run; a warning lets it start and says what may go wrong."""

    ERROR = "error"
    WARNING = "warning"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a flow: where (node, field) and what to do."""

    node_id: str
    node_type: str
    field: str
    message: str
    severity: Severity = Severity.ERROR

    @property
    def is_error(self) -> bool:
        """Whether this problem refuses the run."""
        return self.severity is Severity.ERROR

    def format(self, source: str = "") -> str:
        """`FILE: node ID (TYPE): FIELD: message` (`FILE: FIELD: message` for the document, e.g. a wire);
        a warning says so after the field."""
        prefix = f"{source}: " if source else ""
        message = self.message if self.is_error else f"warning: {self.message}"
        if not self.node_id:
            return f"{prefix}{self.field}: {message}"
        return f"{prefix}node {self.node_id} ({self.node_type}): {self.field}: {message}"


def errors(problems: list[Problem]) -> list[Problem]:
    """The problems that refuse a run."""
    return [p for p in problems if p.is_error]
