"""A study's files: `patients.csv`, `table.csv`, `table.md`, `boxplots.png` and a self-contained `study.html`."""

from __future__ import annotations

import csv
import io
import math
from datetime import datetime
from html import escape
from pathlib import Path

from planflow_qt.model.files import write_text_atomic
from planflow_qt.report.html import STYLE, _img
from planflow_qt.report.plots import COLORS, _png, _pyplot
from planflow_qt.study.metrics import flat
from planflow_qt.study.table import (
    HEADER,
    completed_metrics,
    csv_row,
    fmt,
    fmt_mean_sd,
    fmt_p,
    fmt_percent,
    markdown,
)
from planflow_qt.study.verdict import study_verdict
from planflow_qt.study.worker import result_name

PATIENT_FIELDS = ["variant", "label", "seed", "patient", "status", "error", "rounds", "wall_s"]


def _csv(rows: list[list]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


def patients_csv(study) -> str:
    """One row per (flow variant, patient): status, error, rounds, wall time and every metric."""
    rows = []
    names: dict[str, None] = {}
    for seed in study.spec.seeds:
        for variant in study.flows:
            result = study.results.get(result_name(variant.key, seed))
            if result is None:
                continue
            metrics = flat(result.get("metrics", {}))
            names.update(dict.fromkeys(metrics))
            rows.append(([variant.key, variant.label, seed, study.spec.patient_label(seed), result["status"],
                          result.get("error", ""),
                          result.get("rounds", 0), result.get("wall_s", "")], metrics))
    return _csv([PATIENT_FIELDS + list(names)] + [fixed + [m.get(n, "") for n in names] for fixed, m in rows])


def _box_metrics(study) -> list[str]:
    """The clinical goals (and run time) of the table, the metrics a reader looks at first."""
    first = next(iter(study.tables.values()), [])
    goals = set()
    for result in study.results.values():
        goals.update(result.get("metrics", {}).get("goal", {}))
    return [row.metric for row in first if row.metric in goals or row.metric == "run time (s)"]


def boxplots_png(study) -> bytes:
    """One panel per key metric, one box per flow variant, over the patients that completed."""
    plt = _pyplot()
    metrics = _box_metrics(study)
    flows = study.flows
    cols = min(max(len(metrics), 1), 3)
    rows = max((len(metrics) + cols - 1) // cols, 1)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.0 * rows), squeeze=False)
    for ax, metric in zip(axes.flat, metrics, strict=False):
        data = []
        for variant in flows:
            values = [m.get(metric, math.nan) for seed in study.spec.seeds
                      if (m := completed_metrics(study.results, variant.key, seed)) is not None]
            data.append([v for v in values if math.isfinite(v)])
        boxes = ax.boxplot(data, patch_artist=True, widths=0.55)
        for patch, color in zip(boxes["boxes"], COLORS, strict=False):
            patch.set_facecolor(color)
            patch.set_alpha(0.45)
        ax.set_xticks(range(1, len(flows) + 1), [v.key.upper() for v in flows], fontsize=8)
        ax.set_title(metric, fontsize=9)
        ax.grid(alpha=0.3, axis="y")
    for ax in list(axes.flat)[len(metrics):]:
        ax.axis("off")
    fig.tight_layout()
    return _png(fig)


def comparisons(study, variant) -> list:
    """(other flow, comparison rows) of a variant of A: against B, then against B's iteration-matched control."""
    out = [(study.baseline, study.tables[variant.key])]
    if variant.key in study.matched:
        out.append((study.matched[variant.key], study.matched_tables[variant.key]))
    return out


def _html_table(rows, name_a: str, name_b: str) -> str:
    head = (f"<tr><th>metric</th><th>{escape(name_a)}<br>mean ± SD</th><th>{escape(name_b)}<br>mean ± SD</th>"
            f"<th>{escape(name_a)} − {escape(name_b)}</th><th>%</th><th>p (Wilcoxon)</th><th>n</th></tr>")
    body = "".join(f"<tr><td>{escape(r.metric)}</td><td class='num'>{fmt_mean_sd(r.mean_a, r.sd_a, r.mean_b)}</td>"
                   f"<td class='num'>{fmt_mean_sd(r.mean_b, r.sd_b, r.mean_b)}</td>"
                   f"<td class='num'>{fmt(r.difference, r.mean_b)}</td>"
                   f"<td class='num'>{fmt_percent(r.percent)}</td><td class='num'>{escape(fmt_p(r))}</td>"
                   f"<td class='num'>{r.n}</td></tr>" for r in rows)
    return f"<table>{head}{body}</table>"


def _patients_html(study) -> str:
    rows = []
    for seed in study.spec.seeds:
        for variant in study.flows:
            r = study.results.get(result_name(variant.key, seed))
            if r is None:
                continue
            css = "pass" if r["status"] == "completed" else "fail"
            rows.append(f"<tr><td>{escape(study.spec.patient_label(seed))}</td><td>{variant.key.upper()}</td>"
                        f"<td class='{css}'>{escape(r['status'])}</td><td class='num'>{r.get('rounds', 0)}</td>"
                        f"<td class='num'>{r.get('wall_s', 0):.1f}</td>"
                        f"<td>{escape(r.get('error', ''))}</td></tr>")
    who = "patient" if study.spec.patients else "seed"
    return (f"<table><tr><th>{who}</th><th>flow</th><th>status</th><th>rounds</th><th>wall time (s)</th>"
            f"<th>error</th></tr>{''.join(rows)}</table>")


def _cohort(spec) -> str:
    """`Case lung, 10 patients (seeds 0-9)`, or the DICOM patients' folders."""
    if spec.patients:
        names = ", ".join(escape(p.name) for p in spec.patients)
        return f"{len(spec.patients)} DICOM patients ({names})"
    seeds = spec.seeds
    return f"Case <b>{escape(spec.case)}</b>, {len(seeds)} patients (seeds {seeds[0]}-{seeds[-1]})"


def study_html(study, boxplots: bytes) -> str:
    """The study summary as one HTML file with the box plots inlined."""
    spec = study.spec
    flows = "".join(f"<li><b>{v.key.upper()}</b>: {escape(v.label)}</li>" for v in study.flows)
    parts = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Cohort study - PlanFlow</title>"
             f"<style>{STYLE}</style></head><body><h1>Cohort study: {escape(spec.flow_a.name)} vs "
             f"{escape(spec.flow_b.name)}</h1>",
             f"<p class='meta'>{_cohort(spec)}, dose grid {spec.grid_mm:g} mm; {study.computed} result(s) computed, "
             f"{study.reused} reused; "
             f"{len(study.failed)} failed; written {datetime.now().strftime('%Y-%m-%d %H:%M')}</p>",
             f"<ul>{flows}</ul>",
             "<p class='meta'>Paired over the patients where both flows completed; p: two-sided Wilcoxon "
             "signed-rank test (SciPy); SD: sample standard deviation.</p>"]
    for variant in study.variants:
        for other, rows in comparisons(study, variant):
            parts.append(f"<h2>{escape(variant.label)} (A) vs {escape(other.label)} ({other.key.upper()})</h2>"
                         f"{_html_table(rows, 'A', other.key.upper())}"
                         f"<p><b>{escape(study_verdict('A', other.key.upper(), rows))}</b></p>")
    parts.append(f"<h2>Box plots</h2>{_img(boxplots, 'box plots')}")
    parts.append(f"<h2>Patients</h2>{_patients_html(study)}</body></html>")
    return "\n".join(parts)


def write_outputs(study) -> None:
    """Write every output file of `study` into its folder."""
    out: Path = study.out_dir
    write_text_atomic(out / "patients.csv", patients_csv(study), keep_backup=False)
    table_rows = [["variant", *HEADER]]
    md = []
    for variant in study.variants:
        for other, rows in comparisons(study, variant):
            table_rows += [[f"{variant.label} vs {other.label}", *csv_row(r)] for r in rows]
            md.append(f"## {variant.label} (A) vs {other.label} ({other.key.upper()})\n\n"
                      f"{markdown(rows, 'A', other.key.upper())}\n{study_verdict('A', other.key.upper(), rows)}\n")
    write_text_atomic(out / "table.csv", _csv(table_rows), keep_backup=False)
    write_text_atomic(out / "table.md", "\n".join(md), keep_backup=False)
    boxplots = boxplots_png(study)
    (out / "boxplots.png").write_bytes(boxplots)
    write_text_atomic(out / "study.html", study_html(study, boxplots), keep_backup=False)
