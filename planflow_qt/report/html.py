"""The run report: one self-contained HTML file (images inlined) a physicist can archive and review."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import datetime
from html import escape

from planflow_qt.catalog.describe import node_title
from planflow_qt.catalog.registry import default_registry
from planflow_qt.engine.events import EventKind, RunEvent
from planflow_qt.engine.validation import analyze
from planflow_qt.model.document import Flow
from planflow_qt.report.diagram import flow_svg
from planflow_qt.report.functions import functions_table
from planflow_qt.report.parameters import parameters_table
from planflow_qt.report.snapshots import FunctionRow, Snapshot

STYLE = """
body{font-family:Segoe UI,Helvetica,Arial,sans-serif;margin:24px 40px;color:#1d2733;background:#fafbfc}
h1{font-size:22px;margin-bottom:4px}h2{font-size:17px;border-bottom:2px solid #2b6cb0;padding-bottom:3px;
margin-top:32px}h3{font-size:14px}table{border-collapse:collapse;margin:8px 0;font-size:12.5px}
th,td{border:1px solid #cfd6df;padding:3px 8px;text-align:left;vertical-align:top}th{background:#e8eef5}
td.num{text-align:right;font-variant-numeric:tabular-nums}.pass{background:#d9f2dd;color:#17692a}
.fail{background:#fbdcdc;color:#9b1c1c;font-weight:600}.meta{color:#5a6775;font-size:13px}
.status-completed{color:#17692a}.status-failed,.status-stopped,.status-refused,.status-invalid{color:#9b1c1c}
pre{background:#f0f2f5;padding:8px;font-size:11.5px;max-height:480px;overflow:auto;white-space:pre-wrap}
img{max-width:100%;border:1px solid #dde3ea;background:white}.better{color:#17692a;font-weight:600}
.worse{color:#9b1c1c;font-weight:600}code{font-size:11.5px}
.diagram{border:1px solid #dde3ea;background:white;overflow:auto}table.params td{border:none;padding:1px 6px}
table.params td.label{color:#5a6775;white-space:nowrap}table.inner{margin:2px 0}table.flow>tbody>tr>td{padding:6px 8px}
"""


@dataclass
class RunData:
    """Everything the report shows about one run."""

    flow: Flow
    backend: str
    case: str
    status: str
    error: str
    rounds: int
    elapsed_s: float
    snapshots: list[Snapshot]
    events: list[RunEvent]
    rois: list[str]
    images: dict[str, bytes] = field(default_factory=dict)
    functions: dict[int, list[FunctionRow]] = field(default_factory=dict)
    patient: str = ""
    """The patient planned on: DICOM name and ID (and where it was read from), empty when unknown."""
    patient_notes: list[str] = field(default_factory=list)
    """What reading the patient skipped or adjusted (ignored files, skipped contours...)."""


def _img(png: bytes, alt: str) -> str:
    return f'<img alt="{escape(alt)}" src="data:image/png;base64,{base64.b64encode(png).decode("ascii")}">'


def _num(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _goals_table(snapshots: list[Snapshot]) -> str:
    if not snapshots or not snapshots[-1].goals:
        return "<p>No clinical goals in this plan.</p>"
    head = "".join(f"<th>{escape(s.label)}</th>" for s in snapshots)
    rows = []
    for i, goal in enumerate(snapshots[-1].goals):
        cells = []
        for snap in snapshots:
            row = snap.goals[i] if i < len(snap.goals) else None
            if row is None:
                cells.append("<td>-</td>")
            else:
                cells.append(f'<td class="num {"pass" if row.met else "fail"}">{row.value:.4g} '
                             f'{"pass" if row.met else "FAIL"}</td>')
        rows.append(f"<tr><td>{escape(goal.roi)}</td><td>{escape(goal.text)}</td>{''.join(cells)}</tr>")
    return f"<table><tr><th>ROI</th><th>goal</th>{head}</tr>{''.join(rows)}</table>"


def _metrics_table(snapshots: list[Snapshot]) -> str:
    snapshots = [s for s in snapshots if s.metrics]
    names = list(dict.fromkeys(name for s in snapshots for name in s.metrics))
    if not names:
        return "<p>No metrics recorded.</p>"
    head = "".join(f"<th>{escape(s.label)}</th>" for s in snapshots)
    rows = "".join(f"<tr><td>{escape(n)}</td>" + "".join(
        f'<td class="num">{s.metrics[n]:.4g}</td>' if n in s.metrics else "<td>-</td>" for s in snapshots)
        + "</tr>" for n in names)
    return f"<table><tr><th>metric</th>{head}</tr>{rows}</table>"


def _stats_table(snapshot: Snapshot | None) -> str:
    if snapshot is None:
        return "<p>No dose was computed.</p>"
    rows = "".join(
        f"<tr><td>{escape(roi)}</td><td class='num'>{_num(s['volume_cc'])}</td><td class='num'>"
        f"{_num(s['mean_cgy'], 0)}</td><td class='num'>{_num(s['min_cgy'], 0)}</td><td class='num'>"
        f"{_num(s['max_cgy'], 0)}</td><td class='num'>{_num(s['d0_03cc_cgy'], 0)}</td></tr>"
        for roi, s in snapshot.stats.items())
    return ("<table><tr><th>ROI</th><th>volume (cc)</th><th>mean (cGy)</th><th>min (cGy)</th><th>max (cGy)</th>"
            f"<th>D0.03cc (cGy)</th></tr>{rows}</table>")


def _flow_section(flow: Flow) -> str:
    """The diagram of the flow and its nodes' parameters by name and unit."""
    registry = default_registry()
    loops = analyze(flow, registry).loops
    wires = ", ".join(f"{e.src[0]}.{e.src[1]} → {e.dst[0]}.{e.dst[1]}" for e in flow.edges)
    return (f"<h2 id='flow-diagram'>The flow: diagram</h2><div class='diagram'>{flow_svg(flow, registry, loops)}</div>"
            f"<h2>The flow: nodes and parameters</h2>{parameters_table(flow, registry)}"
            f"<details><summary>{len(flow.edges)} wires (node ids)</summary><p class='meta'>{escape(wires)}</p>"
            "</details>")


def _log(events: list[RunEvent], titles: dict[str, str]) -> str:
    lines = []
    for e in events:
        if e.kind in (EventKind.NODE_STARTED,):
            continue
        stamp = datetime.fromtimestamp(e.time).strftime("%H:%M:%S")
        where = f"[r{e.round}] " if e.round else ""
        node = f"{titles.get(e.node_id, e.node_id)}: " if e.node_id else ""
        lines.append(f"{stamp} {where}{e.kind.value:<15} {node}{e.message}")
    return f"<pre>{escape(chr(10).join(lines))}</pre>"


def render(run: RunData, comparison: str = "", comparison_images: dict[str, bytes] | None = None) -> str:
    """The whole report as an HTML string."""
    meta = run.flow.meta
    parts = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{escape(meta.name)} - "
             f"PlanFlow report</title><style>{STYLE}</style></head><body>",
             f"<h1>{escape(meta.name)}</h1>",
             f"<p class='meta'>Backend <b>{escape(run.backend)}</b>, case <b>{escape(run.case)}</b>; "
             + (f"patient <b>{escape(run.patient)}</b>; " if run.patient else "") + "status "
             f"<b class='status-{escape(run.status)}'>{escape(run.status)}</b>; {run.rounds} round(s); "
             f"{run.elapsed_s:.1f} s; flow status {escape(meta.status)}; author {escape(meta.author or '-')}; "
             f"report written {datetime.now().strftime('%Y-%m-%d %H:%M')}</p>"]
    if meta.description:
        parts.append(f"<p>{escape(meta.description)}</p>")
    if run.patient_notes:
        notes = "".join(f"<li>{escape(note)}</li>" for note in run.patient_notes)
        parts.append(f"<p class='meta'>Reading the patient:</p><ul class='meta'>{notes}</ul>")
    if run.error:
        from planflow_qt.report.unsaved import unsaved_html

        parts.append(f"<p class='fail'>{escape(run.error)}</p>{unsaved_html(run.events)}")
    if comparison:
        parts.append("<h2>Comparison with the baseline</h2><p class='meta'>Difference: this run minus the "
                     "other; green better, red worse (beyond 1 % for organs, 10 cGy or 0.005 CI for the target)."
                     f"</p>{comparison}")
        for name, png in (comparison_images or {}).items():
            parts.append(_img(png, name))
    parts.append(f"<h2>Clinical goals per round</h2>{_goals_table(run.snapshots)}")
    parts.append(f"<h2>Metrics per round</h2>{_metrics_table(run.snapshots)}")
    if run.functions:
        parts.append("<h2>Optimization functions per round</h2><p class='meta'>Value after the round's "
                     "optimization and normalization (weighted, dimensionless; see the function values "
                     f"documentation) and achieved level (cGy).</p>{functions_table(run.flow, run.functions)}")
    for name, png in run.images.items():
        parts.append(f"<h2>{escape(name)}</h2>{_img(png, name)}")
    final = run.snapshots[-1] if run.snapshots else None
    parts.append(f"<h2>Dose statistics of the final plan</h2>{_stats_table(final)}")
    parts.append(_flow_section(run.flow))
    registry = default_registry()
    titles = {n.id: node_title(n, registry.get(n.type)) for n in run.flow.nodes}
    parts.append(f"<h2>Run log</h2>{_log(run.events, titles)}")
    parts.append("</body></html>")
    return "\n".join(parts)
