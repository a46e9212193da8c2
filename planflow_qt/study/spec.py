"""What a study is: the flows (and the sweep variants of flow A), the case, the dose grid and the patients:
seeded phantoms of one case, or DICOM patient folders.

The manifest `study.json` records it so a restarted study only reuses results computed for the same study.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from planflow_qt.engine.validation import validate
from planflow_qt.model.document import Flow
from planflow_qt.model.files import dumps_flow, flow_from_data


class StudyError(Exception):
    """A study cannot start: a bad flow, sweep or output folder. The message says what to do."""


@dataclass(frozen=True)
class Variant:
    """One flow of the study: `key` names its result files, `label` is what the table shows."""

    key: str
    label: str
    flow_text: str
    settings: dict[str, Any] = field(default_factory=dict)


@dataclass
class StudySpec:
    """The flows compared (variants of A against B), the simulated case family and the patient seeds."""

    flow_a: Path
    flow_b: Path
    case: str = "lung"
    grid_mm: float = 5.0
    cohort: int = 10
    seed: int = 0
    sweep: dict[str, list[Any]] = field(default_factory=dict)
    matched: bool = True
    """Also run B's iteration-matched control: B with as many optimization iterations as A spent."""
    patients: list[Path] = field(default_factory=list)
    """DICOM patient folders; when given, they are the cohort (numbered 0, 1, ... in `seeds`) instead of phantoms."""

    @property
    def seeds(self) -> list[int]:
        """Patient seeds: `seed`, `seed + 1`, ..., one per patient; the DICOM patients' numbers 0, 1, ..."""
        if self.patients:
            return list(range(len(self.patients)))
        return list(range(self.seed, self.seed + self.cohort))

    def patient_dir(self, seed: int) -> str:
        """The folder of DICOM patient number `seed` (empty for phantom studies)."""
        return str(self.patients[seed]) if self.patients else ""

    def patient_label(self, seed: int) -> str:
        """What names a patient in tables: its folder's name, or its seed."""
        return self.patients[seed].name if self.patients else str(seed)


def parse_sweep(items: list[str]) -> dict[str, list[Any]]:
    """`NODE_ID.PARAM=V1,V2` strings as {"NODE_ID.PARAM": [V1, V2]}; values are JSON when they parse, else text."""
    sweep: dict[str, list[Any]] = {}
    for item in items:
        target, sep, values = item.partition("=")
        if not sep or "." not in target or not values:
            raise StudyError(f"--set {item!r}: write NODE_ID.PARAM=V1,V2,... (e.g. tighten.amount=0.96,0.98)")
        sweep[target.strip()] = [_value(text.strip()) for text in values.split(",")]
    return sweep


def _value(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def _set_param(flow: Flow, target: str, value: Any) -> None:
    node_id, _, path = target.partition(".")
    try:
        node = flow.node(node_id)
    except KeyError:
        raise StudyError(f"--set {target}: flow A has no node {node_id!r}") from None
    params = copy.deepcopy(node.params)
    keys = path.split(".")
    holder = params
    for key in keys[:-1]:
        if not isinstance(holder.get(key), dict):
            raise StudyError(f"--set {target}: node {node_id} has no parameter group {key!r}")
        holder = holder[key]
    holder[keys[-1]] = value
    node.params = params


def load_checked(path: Path) -> Flow:
    """A flow file (or a Planning-Flow file, converted) that validates; otherwise a StudyError listing its
    problems."""
    from planflow_qt.model.legacy import load_any

    flow, _warnings = load_any(path)
    errors = [p.format(str(path)) for p in validate(flow) if p.is_error]
    if errors:
        raise StudyError("flow is not valid:\n" + "\n".join(errors))
    return flow


def variants(spec: StudySpec) -> tuple[list[Variant], Variant]:
    """The variants of flow A (one per point of the sweep grid, or A itself) and flow B."""
    flow_a, flow_b = load_checked(spec.flow_a), load_checked(spec.flow_b)
    b = Variant("b", flow_b.meta.name or spec.flow_b.stem, dumps_flow(flow_b))
    if not spec.sweep:
        return [Variant("a", flow_a.meta.name or spec.flow_a.stem, dumps_flow(flow_a))], b
    out = []
    targets = list(spec.sweep)
    for index, combo in enumerate(itertools.product(*spec.sweep.values())):
        flow = flow_from_data(flow_a.to_json_dict(), spec.flow_a)
        settings = dict(zip(targets, combo, strict=True))
        for target, value in settings.items():
            _set_param(flow, target, value)
        label = ", ".join(f"{t}={json.dumps(v)}" for t, v in settings.items())
        errors = [p.format(label) for p in validate(flow) if p.is_error]
        if errors:
            raise StudyError("sweep variant is not valid:\n" + "\n".join(errors))
        out.append(Variant(f"a{index:02d}", label, dumps_flow(flow), settings))
    return out, b


def file_hash(path: Path) -> str:
    """SHA-256 of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def manifest(spec: StudySpec) -> dict[str, Any]:
    """The `study.json` content: what results in this folder were computed for."""
    return {"flow_a": {"path": str(spec.flow_a), "sha256": file_hash(spec.flow_a)},
            "flow_b": {"path": str(spec.flow_b), "sha256": file_hash(spec.flow_b)},
            "case": spec.case, "grid_mm": spec.grid_mm, "sweep": spec.sweep, "seeds": spec.seeds,
            "patients": [str(p.resolve()) for p in spec.patients]}


def manifest_mismatch(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """What differs between two manifests, ignoring paths and seeds (results are per seed, so a cohort may grow;
    DICOM patients may be added after the earlier ones)."""
    diffs = []
    for key in ("flow_a", "flow_b"):
        if old.get(key, {}).get("sha256") != new[key]["sha256"]:
            diffs.append(f"{key} content changed ({old.get(key, {}).get('path')} -> {new[key]['path']})")
    for key in ("case", "grid_mm", "sweep"):
        if old.get(key) != new[key]:
            diffs.append(f"{key}: {old.get(key)!r} -> {new[key]!r}")
    before = old.get("patients") or []
    if before != new["patients"][:len(before)]:
        diffs.append("the DICOM patients differ (results are numbered by patient: keep the earlier ones first, "
                     "in the same order)")
    return diffs
