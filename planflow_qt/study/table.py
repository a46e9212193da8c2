"""The study's table, as in a planning paper: per metric, mean ± SD of A and B, A − B, percent, Wilcoxon p."""

from __future__ import annotations

import math
from typing import Any

from planflow_qt.study.metrics import flat
from planflow_qt.study.spec import Variant
from planflow_qt.study.stats import Comparison, compare
from planflow_qt.study.worker import result_name

HEADER = ["metric", "n", "mean_a", "sd_a", "mean_b", "sd_b", "difference", "percent", "p_value", "note"]


def completed_metrics(results: dict[str, dict[str, Any]], variant: str, seed: int) -> dict[str, float] | None:
    """The flat metrics of a completed result, or None when it is missing or did not complete."""
    result = results.get(result_name(variant, seed))
    if result is None or result.get("status") != "completed":
        return None
    return flat(result["metrics"])


def compare_variants(variant: Variant, baseline: Variant, results: dict[str, dict[str, Any]],
                     seeds: list[int]) -> list[Comparison]:
    """One comparison per metric present in both flows, over the patients where both completed."""
    pairs = []
    for seed in seeds:
        a, b = completed_metrics(results, variant.key, seed), completed_metrics(results, baseline.key, seed)
        if a is not None and b is not None:
            pairs.append((a, b))
    names_a = dict.fromkeys(name for a, _ in pairs for name in a)
    names_b = {name for _, b in pairs for name in b}
    return [compare(name, [a.get(name, math.nan) for a, _ in pairs], [b.get(name, math.nan) for _, b in pairs])
            for name in names_a if name in names_b]


def fmt(value: float, like: float | None = None) -> str:
    """A number with the digits a table needs (1002, 18.34, 0.874), judged by `like` (default: the value)."""
    if value is None or not math.isfinite(value):
        return "-"
    size = abs(value if like is None or not math.isfinite(like) else like)
    if size >= 100:
        return f"{value:.0f}"
    if size >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}" if size >= 0.01 else f"{value:.3g}"


def fmt_mean_sd(mean: float, sd: float, like: float) -> str:
    """`mean ± SD` with the digits of `like`."""
    return f"{fmt(mean, like)} ± {fmt(sd, like)}"


def fmt_p(row: Comparison) -> str:
    """The p-value as papers print it (`< 0.001`), or the reason there is none."""
    if row.p_value is None:
        return row.note
    return "< 0.001" if row.p_value < 0.001 else f"{row.p_value:.3f}"


def fmt_percent(value: float) -> str:
    """A signed percentage, or `-` when undefined."""
    return f"{value:+.1f} %" if math.isfinite(value) else "-"


def csv_row(row: Comparison) -> list[Any]:
    """The full-precision values of a row for `table.csv`, in `HEADER` order."""
    return [row.metric, row.n, row.mean_a, row.sd_a, row.mean_b, row.sd_b, row.difference, row.percent,
            "" if row.p_value is None else row.p_value, row.note]


def markdown(rows: list[Comparison], name_a: str, name_b: str) -> str:
    """A Markdown table of the comparisons."""
    lines = [f"| Metric | {name_a} (mean ± SD) | {name_b} (mean ± SD) | {name_a} − {name_b} | % | p (Wilcoxon) | n |",
             "|---|---|---|---|---|---|---|"]
    lines += [f"| {r.metric} | {fmt_mean_sd(r.mean_a, r.sd_a, r.mean_b)} | {fmt_mean_sd(r.mean_b, r.sd_b, r.mean_b)} | "
              f"{fmt(r.difference, r.mean_b)} | {fmt_percent(r.percent)} | {fmt_p(r)} | {r.n} |" for r in rows]
    return "\n".join(lines) + "\n"
