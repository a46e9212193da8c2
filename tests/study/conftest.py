"""Small flows and a tiny cohort so that study tests stay fast: 10 mm grid, few iterations and rounds."""

from __future__ import annotations

from pathlib import Path

import pytest

from planflow_qt.model.files import load_flow, save_flow

FLOWS = Path(__file__).resolve().parents[2] / "flows"


def _small(name: str, out: Path, **params: dict) -> Path:
    flow = load_flow(FLOWS / f"{name}.json")
    flow.node("settings").params = {**flow.node("settings").params, "iterations": 12}
    for node_id, values in params.items():
        flow.node(node_id).params = {**flow.node(node_id).params, **values}
    path = out / f"{name}.json"
    save_flow(flow, path, touch=False)
    return path


@pytest.fixture(scope="session")
def small_flows(tmp_path_factory) -> tuple[Path, Path]:
    """Lung progressive (two rounds, 12 iterations) and lung single pass (12 iterations) as files."""
    out = tmp_path_factory.mktemp("flows")
    return _small("lung_progressive", out, rounds={"max_rounds": 2}), _small("lung_single_pass", out)
