"""Fixtures shared by the test folders: a node pack installed as a clinic installs one, short lung flows."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

PACK = Path(__file__).parent / "packs" / "coldspot_pack"
FLOWS = Path(__file__).resolve().parents[1] / "flows"


def _small(name: str, out: Path, **params: dict) -> Path:
    from planflow_qt.model.files import load_flow, save_flow

    flow = load_flow(FLOWS / f"{name}.json")
    flow.node("settings").params = {**flow.node("settings").params, "iterations": 12}
    for node_id, values in params.items():
        flow.node(node_id).params = {**flow.node(node_id).params, **values}
    path = out / f"{name}.json"
    save_flow(flow, path, touch=False)
    return path


@pytest.fixture(scope="session")
def small_flows(tmp_path_factory) -> tuple[Path, Path]:
    """Lung progressive (two rounds, 12 iterations) and lung single pass (12 iterations) as files: studies
    and patient runs that stay fast."""
    out = tmp_path_factory.mktemp("flows")
    return _small("lung_progressive", out, rounds={"max_rounds": 2}), _small("lung_single_pass", out)


@pytest.fixture
def coldspot_pack(tmp_path_factory, monkeypatch):
    """The pack in `tests/packs/coldspot_pack`, installed for this test: its source on the path and its
    distribution metadata (name, version, the entry points of its pyproject.toml) where
    `importlib.metadata` finds installed packages, as `pip install -e` leaves them; the registry is loaded
    afresh. Yields the folder holding the metadata (add it and `PACK` to PYTHONPATH for a subprocess)."""
    tomllib = pytest.importorskip("tomllib")
    from planflow_qt.catalog import registry

    project = tomllib.loads((PACK / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    site = tmp_path_factory.mktemp("site")
    info = site / f"{project['name'].replace('-', '_')}-{project['version']}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {project['name']}\nVersion: {project['version']}\n",
                                   encoding="utf-8")
    groups = "".join(f"[{group}]\n" + "".join(f"{name} = {target}\n" for name, target in points.items())
                     for group, points in project["entry-points"].items())
    (info / "entry_points.txt").write_text(groups, encoding="utf-8")
    monkeypatch.syspath_prepend(str(PACK))
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setattr(registry, "_default", None)
    yield site
    for name in [m for m in sys.modules if m.startswith("planflow_coldspot")]:
        del sys.modules[name]
