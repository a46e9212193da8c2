"""Reports of runs: snapshots of the plan per round, plots (matplotlib, Agg) and the HTML report."""
