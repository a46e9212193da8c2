"""PlanFlow-Qt: automate radiotherapy treatment planning as a node graph.

Importing this package is cheap: Qt, SciPy and the simulated physics load only when used.
"""

__version__ = "0.1.0"
