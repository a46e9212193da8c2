"""One run owns its output folder: a second run into it is refused naming the first; bad folders are named."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from planflow_qt.cli import main
from planflow_qt.engine.events import read_log
from planflow_qt.engine.recording import RecordingBackend
from planflow_qt.run_folder import RunFolderError
from planflow_qt.runner import execute

ROOT = Path(__file__).resolve().parents[2]
SINGLE = ROOT / "flows" / "lung_single_pass.json"

HOLDER = """
import sys, threading
from planflow_qt.engine.recording import RecordingBackend
from planflow_qt.model.files import load_flow
from planflow_qt.runner import execute

class Held(RecordingBackend):
    def run_optimization(self):
        print("optimizing", flush=True)
        sys.stdin.readline()  # until the test lets it go
        super().run_optimization()

flow = load_flow(sys.argv[1])
outcome = execute(flow, Held(rois=sys.argv[3].split(",")), sys.argv[2])
print(outcome.result.status, flush=True)
"""


def test_a_second_run_into_a_folder_in_use_is_refused_naming_the_first(tmp_path, capsys, small_flow):
    flow_path = tmp_path / "held.json"
    from planflow_qt.model.files import save_flow

    save_flow(small_flow("held").build(), flow_path)
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    first = subprocess.Popen([sys.executable, "-c", HOLDER, str(flow_path), str(out), "PTV"], cwd=ROOT, env=env,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert first.stdout.readline() == "optimizing\n"
        code = main(["run", str(SINGLE), "--grid", "10", "--out", str(out)])
        err = capsys.readouterr().err
        assert code == 2
        assert err.startswith(f"planflow run: output folder {out} is in use by another run (process {first.pid} on ")
        assert "flow 'held'): wait for it to end or choose another --out" in err
        first.stdin.write("\n")
        first.stdin.flush()
        assert first.stdout.readline() == "completed\n"
    finally:
        first.stdin.close()
        first.wait(timeout=30)
    events = read_log(out / "run.jsonl")
    assert events[0]["kind"] == "run_started" and events[-1]["kind"] == "run_finished"
    assert json.loads((out / "summary.json").read_text(encoding="utf-8"))["status"] == "completed"


def test_two_runs_started_together_in_one_process_one_is_refused(tmp_path, small_flow):
    release = threading.Event()

    class Held(RecordingBackend):
        def run_optimization(self):
            release.wait(10)
            super().run_optimization()

    flow = small_flow("held").build()
    results = []
    worker = threading.Thread(target=lambda: results.append(execute(flow, Held(rois=["PTV"]), tmp_path)))
    worker.start()
    deadline = time.monotonic() + 10
    while not (tmp_path / "run.jsonl").exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    with pytest.raises(RunFolderError, match=f"output folder {tmp_path} is in use by another run"):
        execute(flow, RecordingBackend(rois=["PTV"]), tmp_path)
    release.set()
    worker.join(10)
    assert results[0].result.status == "completed"
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".")) == ["run.jsonl", "summary.json"]


@pytest.mark.parametrize(("make", "message"), [
    (lambda out: out.write_text("x", encoding="utf-8"), "output folder {out} is a file: choose a folder with --out"),
    (lambda out: (out / "run.jsonl").mkdir(parents=True),
     "{out}/run.jsonl is a folder, where the run writes a file: remove it or choose another --out"),
])
def test_unusable_output_folders_are_named(tmp_path, capsys, make, message):
    out = tmp_path / "out"
    make(out)
    assert main(["run", str(SINGLE), "--grid", "10", "--out", str(out)]) == 2
    assert capsys.readouterr().err == f"planflow run: {message.format(out=out)}\n"


@pytest.fixture
def read_only_folder(tmp_path):
    """A folder nobody may write to: a read-only tmpfs when running as root (root ignores permissions),
    else a folder without write permission."""
    folder = tmp_path / "read-only"
    folder.mkdir()
    as_root = hasattr(os, "geteuid") and os.geteuid() == 0
    if as_root and subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", str(folder)],
                                  capture_output=True).returncode != 0:
        pytest.skip("running as root without a way to make a read-only folder")
    if not as_root:
        folder.chmod(0o555)
    yield folder
    if as_root:
        subprocess.run(["umount", str(folder)], check=True)


def test_a_read_only_output_folder_is_named(read_only_folder, capsys):
    assert main(["run", str(SINGLE), "--grid", "10", "--out", str(read_only_folder)]) == 2
    assert capsys.readouterr().err.startswith(f"planflow run: output folder {read_only_folder} is not writable (")


def test_convert_into_a_read_only_folder_is_named(read_only_folder, capsys):
    legacy = ROOT / "tests" / "legacy" / "files" / "esophagus_4140.json"
    target = read_only_folder / "flow.json"
    assert main(["convert", str(legacy), "-o", str(target)]) == 2
    assert capsys.readouterr().err.splitlines()[-1].startswith(f"planflow convert: -o {target}: ")


def test_a_study_into_a_read_only_folder_is_named(read_only_folder, capsys):
    assert main(["study", str(SINGLE), str(SINGLE), "--cohort", "1", "--grid", "10", "--quiet", "--out",
                 str(read_only_folder / "study")]) == 2
    assert capsys.readouterr().err.startswith("planflow study: output folder ")
