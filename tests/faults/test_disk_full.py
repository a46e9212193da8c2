"""Saving onto a full disk: a real 64 KB tmpfs where the platform lets the test mount one (root on Linux),
otherwise the full disk is simulated: flushing a file to disk fails with ENOSPC."""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from planflow_qt.model.document import Note
from planflow_qt.model.errors import FileSaveError
from planflow_qt.model.files import load_flow, save_flow

LUNG = Path(__file__).resolve().parents[2] / "flows" / "lung_progressive.json"


@pytest.fixture
def small_disk(tmp_path, monkeypatch):
    """A folder on a 64 KB file system, and a function to call once it holds the first file: on a real small
    file system it does nothing; simulated, it makes every flush to disk raise ENOSPC from then on."""
    folder = tmp_path / "disk"
    folder.mkdir()
    mounted = (sys.platform == "linux" and os.geteuid() == 0 and shutil.which("mount") is not None
               and subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(folder)],
                                  capture_output=True).returncode == 0)

    def fill() -> None:
        if not mounted:
            def full(fd):
                raise OSError(errno.ENOSPC, "No space left on device")

            monkeypatch.setattr(os, "fsync", full)

    yield folder, fill
    if mounted:
        subprocess.run(["umount", str(folder)], check=True)
    print("real 64 KB tmpfs" if mounted else "simulated full disk (fsync raises ENOSPC)")


def test_a_save_onto_a_full_disk_keeps_the_flow_and_leaves_no_partial_files(small_disk):
    folder, fill = small_disk
    path = folder / "flow.json"
    flow = load_flow(LUNG)
    flow.notes = []
    flow.meta.description = ""
    save_flow(flow, path, touch=False)
    before = path.read_bytes()
    assert len(before) < 32 * 1024
    fill()
    bigger = flow.model_copy(deep=True)
    bigger.notes = [Note(title="long", text="x" * 15000) for _ in range(3)]
    with pytest.raises(FileSaveError) as info:
        save_flow(bigger, path)
    assert str(info.value) == f"{path}: disk full: free some space and save again (the previous file is unchanged)"
    assert path.read_bytes() == before
    assert sorted(p.name for p in folder.iterdir()) == ["flow.json"]
