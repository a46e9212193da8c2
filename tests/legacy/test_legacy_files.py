"""Every hand-written legacy file converts, validates, keeps the legacy order, survives save / load and runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from planflow_qt.backends.simulated import SimulatedBackend
from planflow_qt.engine.graph import LoopZone
from planflow_qt.engine.interpreter import Interpreter
from planflow_qt.engine.schedule import schedule
from planflow_qt.engine.validation import analyze, validate
from planflow_qt.model.files import dumps_flow, load_flow, save_flow
from planflow_qt.model.legacy import convert_legacy, is_legacy, load_any
from planflow_qt.model.legacy.layout import Phase

FILES = Path(__file__).parent / "files"
ALL = sorted(p.name for p in FILES.glob("*.json"))
WELL_FORMED = [name for name in ALL if name != "quirks.json"]
CASES = {"esophagus_4140.json": "esophagus", "all_conditions.json": "esophagus", "quirks.json": "esophagus",
         "numbers_and_empty.json": "lung", "vmat_robust_isotropic.json": "lung"}
IMPT = ["impt_robust.json"]


def load(name: str):
    return load_any(FILES / name)


def test_every_file_is_covered():
    assert set(ALL) == set(CASES) | set(IMPT)


@pytest.mark.parametrize("name", ALL)
def test_converts_and_validates(name):
    data = json.loads((FILES / name).read_text(encoding="utf-8"))
    assert is_legacy(data)
    flow, warnings = load(name)
    assert validate(flow) == []
    assert all(isinstance(w, str) and w for w in warnings)
    assert flow.meta.name == data["flow_name"]


@pytest.mark.parametrize("name", ALL)
def test_document_order_is_the_run_order(name):
    flow, _ = load(name)
    analysis = analyze(flow)
    ids = [n.id for n in flow.nodes]
    assert analysis.order == ids
    steps = []
    for step in schedule(analysis.graph, analysis.loops):
        steps += [step.begin, *step.body, step.end] if isinstance(step, LoopZone) else [step]
    assert steps == ids
    index = {node_id: i for i, node_id in enumerate(ids)}
    assert all(index[e.src[0]] < index[e.dst[0]] for e in flow.edges), "every wire runs forward"


@pytest.mark.parametrize("name", ALL)
def test_layout_is_columns_by_phase_framed_by_the_legacy_steps(name):
    flow, _ = load(name)
    titles = [note.title for note in flow.notes]
    assert titles == [p.value for p in Phase if p.value in titles]
    xs = [note.rect[0] for note in flow.notes]
    assert xs == sorted(xs) and len(set(xs)) == len(xs)
    for node in flow.nodes:
        inside = [n for n in flow.notes if n.rect[0] <= node.pos[0] <= n.rect[0] + n.rect[2]
                  and n.rect[1] <= node.pos[1] <= n.rect[1] + n.rect[3]]
        assert len(inside) == 1, node.id
    assert len({n.pos for n in flow.nodes}) == len(flow.nodes), "no two nodes on top of each other"


@pytest.mark.parametrize("name", ALL)
def test_save_and_load_give_the_same_document(tmp_path, name):
    flow, _ = load(name)
    path = tmp_path / "imported.planflow.json"
    save_flow(flow, path)
    loaded = load_flow(path)
    assert loaded == flow
    assert dumps_flow(loaded) == dumps_flow(flow)
    again, warnings = load_any(path)
    assert again == flow and warnings == []


@pytest.mark.parametrize("name", WELL_FORMED)
def test_backend_calls_follow_the_legacy_order(name, legacy_order, legacy_backend):
    data = json.loads((FILES / name).read_text(encoding="utf-8"))
    flow, _ = convert_legacy(data, name)
    backend = legacy_backend(data)
    result = Interpreter(flow, backend).run()
    assert result.status == "completed", result.error
    assert backend.names() == legacy_order(data)


@pytest.mark.parametrize("name", sorted(CASES))
def test_runs_on_the_simulated_patient(name):
    flow, _ = load(name)
    rounds = int(float(json.loads((FILES / name).read_text(encoding="utf-8"))["end_flow"]["max_optimize_rounds"]))
    result = Interpreter(flow, SimulatedBackend(case=CASES[name], grid_mm=10)).run()
    assert result.status == "completed", result.error
    assert result.rounds == rounds


@pytest.mark.parametrize("name", IMPT)
def test_impt_runs_on_the_simulated_patient_or_stops_precisely_at_the_proton_beams(name):
    flow, _ = load(name)
    result = Interpreter(flow, SimulatedBackend(case="esophagus", grid_mm=10)).run()
    if result.status == "failed":
        assert result.error.startswith("node beams (plan.impt_beams) failed calling add_proton_beams(")
        assert result.error.endswith("BackendError: IMPT beams are not yet supported by the simulated backend")
    else:
        assert result.status == "completed", result.error
        assert result.rounds == 2
