"""Autosave to a recovery file while there are unsaved changes, and the recent-files list.

A saved flow `lung.json` autosaves to `lung.autosave.json` beside it; an untitled flow to the per-user
recovery folder. The recovery file is removed when the flow is saved or closed cleanly, so one found at
start-up or on open (and newer than the flow) means the editor did not close normally.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from Qt import QtCore

from planflow_qt.editor.debounce import single_shot
from planflow_qt.editor.document import DocumentController
from planflow_qt.model.files import dumps_flow, write_text_atomic

log = logging.getLogger(__name__)

AUTOSAVE_MS = 60_000
RECENT_KEY = "recent_files"
MAX_RECENT = 10


def recovery_path(path: Path | None, folder: Path) -> Path:
    """Where the autosave of a flow goes: beside its file, or in `folder` for an untitled flow."""
    if path is None:
        return folder / f"untitled-{os.getpid()}.autosave.json"
    name = path.name.removesuffix(".json")
    return path.with_name(f"{name}.autosave.json")


def default_recovery_folder() -> Path:
    base = QtCore.QStandardPaths.writableLocation(QtCore.QStandardPaths.AppDataLocation)
    return Path(base or Path.home() / ".planflow") / "recovery"


def newer_recovery(path: Path, folder: Path) -> Path | None:
    """The recovery file of `path` if it exists and is newer than the flow file."""
    candidate = recovery_path(path, folder)
    try:
        if candidate.exists() and candidate.stat().st_mtime >= path.stat().st_mtime:
            return candidate
    except OSError:
        return None
    return None


def untitled_recoveries(folder: Path) -> list[Path]:
    """Recovery files of untitled flows left by editors that did not close normally, newest first."""
    if not folder.is_dir():
        return []
    own = recovery_path(None, folder)
    found = [p for p in folder.glob("untitled-*.autosave.json") if p != own]
    return sorted(found, key=lambda p: p.stat().st_mtime, reverse=True)


class Autosaver(QtCore.QObject):
    """Writes the document to its recovery file 60 s after the first unsaved change, then every 60 s."""

    def __init__(self, doc: DocumentController, folder: Path, interval_ms: int = AUTOSAVE_MS, parent=None):
        super().__init__(parent)
        self.doc = doc
        self.folder = folder
        self.written: Path | None = None
        self._timer = single_shot(self, interval_ms, self.save_now)
        doc.changed.connect(self._changed)

    def _changed(self) -> None:
        if self.doc.dirty and not self._timer.isActive():
            self._timer.start()

    def save_now(self) -> Path | None:
        """Write the recovery file now if there are unsaved changes."""
        if not self.doc.dirty:
            return None
        target = recovery_path(self.doc.path, self.folder)
        try:
            write_text_atomic(target, dumps_flow(self.doc.flow), keep_backup=False)
        except OSError as exc:
            log.warning("autosave to %s failed: %s", target, exc)
            return None
        if self.written is not None and self.written != target:
            self.written.unlink(missing_ok=True)
        self.written = target
        return target

    def discard(self) -> None:
        """Remove the recovery file (after a save or a clean close)."""
        self._timer.stop()
        if self.written is not None:
            self.written.unlink(missing_ok=True)
            self.written = None


class RecentFiles:
    """The most recently opened or saved flows, kept in QSettings."""

    def __init__(self, settings: QtCore.QSettings):
        self.settings = settings

    def paths(self) -> list[Path]:
        value = self.settings.value(RECENT_KEY, [])
        items = [value] if isinstance(value, str) else list(value or [])
        return [Path(p) for p in items if p]

    def add(self, path: Path) -> None:
        text = str(Path(path).resolve())
        items = [text] + [str(p) for p in self.paths() if str(p) != text]
        self.settings.setValue(RECENT_KEY, items[:MAX_RECENT])
        self.settings.sync()
