"""Ctrl+C (SIGINT) during a run and during a study, and a study killed outright: clean ends, no stray workers."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from planflow_qt.engine.events import read_log

ROOT = Path(__file__).resolve().parents[2]
FLOWS = ROOT / "flows"
pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="reads /proc and sends POSIX signals")


def _planflow(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "planflow_qt.cli", *args], cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _wait_for(check, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return False


def _children(pid: int) -> set[int]:
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found.add(int(stat.parent.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_ctrl_c_during_a_run_stops_after_the_node_with_log_summary_and_report(tmp_path):
    out = tmp_path / "run"
    run = _planflow("run", str(FLOWS / "lung_progressive.json"), "--grid", "10", "--out", str(out))
    log = out / "run.jsonl"
    assert _wait_for(lambda: log.exists() and "round_finished" in log.read_text(encoding="utf-8"), 60)
    run.send_signal(signal.SIGINT)
    stdout, stderr = run.communicate(timeout=30)
    assert run.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert "stopped by the user before node" in stderr
    assert "change(s) to the case not saved:" in stderr
    assert "plan 'Lung VMAT' created" in stderr
    events = read_log(log)
    assert events[-1]["kind"] == "run_stopped"
    assert "plan 'Lung VMAT' created: beam set 'LungArcs', VMAT (node plan)" in events[-1]["data"]["unsaved"]
    assert json.loads((out / "summary.json").read_text(encoding="utf-8"))["status"] == "stopped"
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "status-stopped'>stopped" in report and "Not saved in the case" in report
    assert stdout.startswith("status stopped;")


def _start_study(tmp_path: Path) -> subprocess.Popen:
    return _planflow("study", str(FLOWS / "lung_single_pass.json"), str(FLOWS / "lung_single_pass.json"),
                     "--case", "lung", "--cohort", "4", "--jobs", "2", "--grid", "10", "--quiet",
                     "--out", str(tmp_path / "study"))


@pytest.mark.parametrize("how", ["ctrl_c", "kill"])
def test_an_ended_study_leaves_no_workers_behind(tmp_path, how):
    study = _start_study(tmp_path)
    assert _wait_for(lambda: len(_children(study.pid)) >= 2, 30)
    workers = _children(study.pid)
    time.sleep(0.5)
    study.send_signal(signal.SIGINT if how == "ctrl_c" else signal.SIGKILL)
    stopped = time.monotonic()
    _, stderr = study.communicate(timeout=10)
    assert _wait_for(lambda: not any(_alive(pid) for pid in workers), 5), "workers still alive after 5 s"
    print(f"{how}: {len(workers)} workers gone {time.monotonic() - stopped:.1f} s after the signal")
    if how == "ctrl_c":
        assert study.returncode == 130
        assert "Traceback" not in stderr
        assert "interrupted: finished results are kept" in stderr
