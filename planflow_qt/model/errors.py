"""Errors of reading flow files."""

from __future__ import annotations

from pathlib import Path


class FlowFileError(ValueError):
    """A flow file that cannot be read: says which file, where and what to do."""

    def __init__(self, path: str | Path, message: str):
        super().__init__(f"{path}: {message}")
        self.path = str(path)
        self.detail = message


class FileSaveError(OSError):
    """A file that could not be written: says which file, why and what to do; the previous file is intact."""

    def __init__(self, path: str | Path, message: str, errno: int | None = None):
        super().__init__(errno, message)
        self.path = str(path)
        self.detail = message

    def __str__(self) -> str:
        return f"{self.path}: {self.detail}"
