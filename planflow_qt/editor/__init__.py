"""The Qt editor of PlanFlow: draw, check, run and review flows as node graphs.

Only this package imports Qt. Start it with `planflow edit [FLOW]` or `planflow_qt.editor.app.main`.
"""
