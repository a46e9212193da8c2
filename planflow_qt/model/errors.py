"""Errors of reading flow files."""

from __future__ import annotations

from pathlib import Path


class FlowFileError(ValueError):
    """A flow file that cannot be read: says which file, where and what to do."""

    def __init__(self, path: str | Path, message: str):
        super().__init__(f"{path}: {message}")
        self.path = str(path)
        self.detail = message


class FlowDocumentError(FlowFileError):
    """A flow file that is JSON but not a valid flow document. `problems` are (node id or None, node type or
    None, field, message), reported like the problems of validation."""

    def __init__(self, path: str | Path, message: str,
                 problems: list[tuple[str | None, str | None, str, str]]):
        super().__init__(path, message)
        self.problems = problems

    def lines(self) -> list[str]:
        """One `FILE: node ID (TYPE): FIELD: message` (or `FILE: FIELD: message`) line per problem."""
        return [f"{self.path}: " + (f"node {node_id} ({node_type or '?'}): " if node_id else "") + f"{field}: {message}"
                for node_id, node_type, field, message in self.problems]


class FileSaveError(OSError):
    """A file that could not be written: says which file, why and what to do; the previous file is intact."""

    def __init__(self, path: str | Path, message: str, errno: int | None = None):
        super().__init__(errno, message)
        self.path = str(path)
        self.detail = message

    def __str__(self) -> str:
        return f"{self.path}: {self.detail}"
