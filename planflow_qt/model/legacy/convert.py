"""Import of legacy Planning-Flow files: the whole file becomes one PlanFlow graph that runs in the legacy order.

Legacy order: match ROIs, plan and beam set (prescription, isocenter), beams, boolean ROIs (by order), clinical
goals, initial functions (+ robustness), optimization settings, first optimization; then per round: conditions,
conditional ROIs, adjustments, optimize, save. What cannot be carried over is returned as a warning naming the
section and entry; malformed input is a FlowFileError naming the file, the entry and the field.
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import Any

from planflow_qt.model.document import Flow, FlowMeta
from planflow_qt.model.errors import FlowFileError
from planflow_qt.model.files import flow_from_data, read_json
from planflow_qt.model.legacy import setup
from planflow_qt.model.legacy.fields import Entry
from planflow_qt.model.legacy.graph import Graph
from planflow_qt.model.legacy.keys import SCHEMA, unknown_keys
from planflow_qt.model.legacy.rounds import Rounds, round_loop

log = logging.getLogger(__name__)

LEGACY_KEYS = frozenset(SCHEMA)
VERSIONS = ("1.0", "1.2")
MAX_ROUNDS = 200


def is_legacy(data: Any) -> bool:
    """Whether parsed JSON is a Planning-Flow file: an object with `flow_name`, other legacy keys, no `schema`."""
    return (isinstance(data, dict) and "schema" not in data and "flow_name" in data
            and any(key in LEGACY_KEYS for key in data if key != "flow_name"))


def convert_legacy(data: Any, source: str | Path = "<legacy>") -> tuple[Flow, list[str]]:
    """Convert a parsed Planning-Flow file into a flow; returns the flow and the warnings of what was not carried
    over. Raises FlowFileError (naming `source`, the entry and the field) for malformed input."""
    source = str(source)
    if not isinstance(data, dict) or "schema" in data or "flow_name" not in data:
        raise FlowFileError(source, "not a Planning-Flow file: expected one JSON object with 'flow_name'")
    top = Entry(data, "", source)
    g = Graph()
    g.warnings += unknown_keys(data)
    version = _metadata(g, top, "version")
    if version not in VERSIONS:
        g.warnings.append(f"version: {version!r} is not a known Planning-Flow version ({', '.join(VERSIONS)}): "
                          "read as 1.2")
    automate = _ordered(top.entries("automate_roi", "roi_name"))
    condition_rois = _ordered(top.entries("condition_rois", "roi_name"))
    _match_rois(g, top.entries("match_roi", "roi_name"))
    _created_names(g, automate, condition_rois)
    kind = setup.technique(g, top)
    setup.plan(g, top, kind)
    beam_names = setup.beams(g, top, kind)
    setup.automate_rois(g, automate)
    setup.clinical_goals(g, top.entry("clinical_goal"))
    tags = setup.initial_functions(g, top.entries("initial_functions", "tag"), beam_names)
    setup.robustness(g, top.entry("robust_settings"))
    setup.settings(g, top.entry("optimization_settings"), top.entry("final_calculation"), kind)
    loop = Rounds(top.entry("end_flow").integer("max_optimize_rounds", 0), top.entries("check_conditions", "name"),
                  condition_rois, top.entries("function_adjustments", "tag"), beam_names, tags)
    if loop.max_rounds > MAX_ROUNDS:
        raise top.error(f"{loop.max_rounds} rounds: PlanFlow runs at most {MAX_ROUNDS}", "end_flow.max_optimize_rounds")
    if loop.max_rounds > 0:
        round_loop(g, loop)
    else:
        for key in ("check_conditions", "condition_rois", "function_adjustments"):
            if top.entries(key):
                g.warnings.append(f"{key}: no optimization rounds (end_flow.max_optimize_rounds is 0 or empty): "
                                  "never used, left out")
    flow = g.flow(_meta(g, top, source, version))
    log.info("converted %s: %d nodes, %d warnings", source, len(flow.nodes), len(g.warnings))
    return flow, g.warnings


def load_any(path: str | Path) -> tuple[Flow, list[str]]:
    """Load a flow file or a Planning-Flow file (converted on the fly); returns the flow and the warnings."""
    data = read_json(path)
    if is_legacy(data):
        return convert_legacy(data, path)
    return flow_from_data(data, path), []


def _ordered(entries: list[Entry]) -> list[Entry]:
    """Entries sorted by their `order` (a number; ties keep the file's order)."""
    return sorted(entries, key=lambda e: e.number("order", 0.0))


def _match_rois(g: Graph, entries: list[Entry]) -> None:
    """One roi.match per ROI, its possible names split on commas."""
    aliases: dict[str, list[str]] = {}
    for entry in entries:
        name = entry.text("roi_name", "", max_length=64)
        if not name:
            g.warnings.append(entry.say("no ROI name: skipped"))
            continue
        text = entry.text("possible_roi_name", "", max_length=5000)
        if name in aliases:
            g.warnings.append(entry.say("ROI listed twice: its possible names are merged"))
        known = aliases.setdefault(name, [])
        known += [a for a in (p.strip() for p in text.split(",")) if a and a != name and a not in known]
    for name, names in aliases.items():
        g.match(name, names)


def _created_names(g: Graph, automate: list[Entry], condition_rois: list[Entry]) -> None:
    """Record the ROIs the flow creates (not wireable before their node); a name created twice is an error."""
    created: dict[str, str] = {}
    for entries, where in ((automate, "is created only later, by"), (condition_rois, "is created only in the "
                                                                                     "optimization rounds, by")):
        for entry in entries:
            name = entry.text("roi_name", "", max_length=64)
            if not name:
                continue
            if name in g.providers:
                raise entry.error(f"creates ROI {name!r}, which match_roi matches in the case: a created ROI needs "
                                  "a name of its own", "roi_name")
            if name in created:
                raise entry.error(f"ROI {name!r} is also created by {created[name]}: PlanFlow creates each ROI in "
                                  "one node; rename one of them", "roi_name")
            created[name] = entry.location()
            g.later[name] = f"{where} {entry.location()}"


def _metadata(g: Graph, top: Entry, key: str) -> str:
    """A metadata field as text: numbers are written out; anything else is a warning, never an error."""
    value = top.data.get(key)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if value is not None and not isinstance(value, str):
        g.warnings.append(f"{key}: not text: ignored")
        return ""
    return (value or "").strip()[:200]


def _meta(g: Graph, top: Entry, source: str, version: str) -> FlowMeta:
    """Name, author and date of the legacy file; the description says where the flow came from."""
    created = _metadata(g, top, "created_date")
    try:
        created = datetime.strptime(created, "%Y-%m-%d %H:%M:%S").isoformat()
    except ValueError:
        created = created[:40]
    meta = FlowMeta(name=top.text("flow_name", "")[:200] or "Imported Planning-Flow",
                    author=_metadata(g, top, "created_by"),
                    description=f"Imported from the Planning-Flow file {Path(source).name} "
                                f"(version {version[:20] or 'unknown'}).")
    if created:
        meta.created = created
    return meta
