"""Errors of reading flow files."""

from __future__ import annotations

from pathlib import Path


class FlowFileError(ValueError):
    """A flow file that cannot be read: says which file, where and what to do."""

    def __init__(self, path: str | Path, message: str):
        super().__init__(f"{path}: {message}")
        self.path = str(path)
        self.detail = message
