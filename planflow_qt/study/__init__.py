"""Cohort studies: run two flows over many seeded simulated patients and compare them as a planning paper does.

`runner.run_study` is the entry point and `planflow study` its command line (`cli`). Importing this package
imports nothing else; its modules need SciPy, matplotlib and rich (the `sim` extra), and Dask for clusters.
"""
