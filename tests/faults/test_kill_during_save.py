"""A process killed (SIGKILL) at random moments while saving: the flow and its `.bak` always load, and the
temporary files do not pile up."""

from __future__ import annotations

import os
import random
import signal
import time
from pathlib import Path

import pytest

from planflow_qt.model.document import Note
from planflow_qt.model.files import load_flow, save_flow

LUNG = Path(__file__).resolve().parents[2] / "flows" / "lung_progressive.json"
KILLS = 120
pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork and SIGKILL")


def _flow(name: str, notes: int = 0):
    flow = load_flow(LUNG)
    flow.meta.name = name
    flow.notes += [Note(title=f"{name} {i}", text=name * 3000) for i in range(notes)]
    return flow


def _save_forever(path, flows) -> None:
    i = 0
    while True:
        save_flow(flows[i % 2], path, touch=False)
        i += 1


def test_sigkill_at_random_moments_never_leaves_a_broken_flow_or_bak(tmp_path):
    path = tmp_path / "flow.json"
    save_flow(_flow("start"), path, touch=False)
    flows = [_flow("first", 60), _flow("second", 60)]  # about 1 MB each, so a kill often lands mid-write
    rng = random.Random(15)
    started = time.monotonic()
    temporaries_seen = set()
    for _ in range(KILLS):
        pid = os.fork()
        if pid == 0:  # the child saves until it is killed
            try:
                _save_forever(path, flows)
            finally:
                os._exit(0)
        time.sleep(rng.uniform(0.0, 0.03))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        assert load_flow(path).meta.name in ("start", "first", "second")
        backup = path.with_name("flow.json.bak")
        if backup.exists():
            assert load_flow(backup).meta.name in ("start", "first", "second")
        names = {p.name for p in tmp_path.iterdir()}
        temporaries_seen |= names - {"flow.json", "flow.json.bak"}
        assert names <= {"flow.json", "flow.json.bak", ".flow.json.tmp", ".flow.json.bak.tmp"}
    elapsed = time.monotonic() - started
    print(f"{KILLS} kills in {elapsed:.1f} s; temporaries seen: {sorted(temporaries_seen)}")
    save_flow(_flow("after"), path, touch=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["flow.json", "flow.json.bak"]
    assert load_flow(path).meta.name == "after"
