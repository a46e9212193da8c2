"""The layers of the design, kept by a test: imports point down (DESIGN section 1).

Runtime imports only: an import under `if TYPE_CHECKING:` is a type annotation, not a dependency.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).parents[1]
QT = ("PySide6", "NodeGraphQt", "Qt", "shiboken6")
UPPER = ("planflow_qt.editor", "planflow_qt.cli", "planflow_qt.report", "planflow_qt.study", "planflow_qt.runner",
         "planflow_qt.raystation", "planflow_qt.progress")
RULES = {
    "nodes/": ("nodes import only the catalog and the model",
               lambda m: m.startswith("planflow_qt")
               and not m.startswith(("planflow_qt.catalog", "planflow_qt.model"))),
    "planflow_qt/model/": ("the model imports nothing above it",
                           lambda m: m.startswith(("planflow_qt.engine", "planflow_qt.backends", "nodes", *UPPER))),
    "planflow_qt/catalog/": ("the catalog imports only the model",
                             lambda m: m.startswith(("planflow_qt.engine", "planflow_qt.backends", "nodes", *UPPER))),
    "planflow_qt/patients/": ("patients import only the model",
                              lambda m: m.startswith(("planflow_qt.engine", "planflow_qt.backends",
                                                      "planflow_qt.catalog", "nodes", *UPPER))),
    "planflow_qt/backends/": ("backends import neither the engine nor the application",
                              lambda m: m.startswith(("planflow_qt.engine", "nodes", *UPPER))),
    "planflow_qt/engine/": ("the engine imports no backend implementation and nothing above it",
                            lambda m: m.startswith(("planflow_qt.backends.simulated", "planflow_qt.backends.raystation",
                                                    *UPPER))),
}


def runtime_imports(path: Path) -> list[str]:
    """Modules imported by a file outside `if TYPE_CHECKING:` blocks."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = {id(n) for block in ast.walk(tree) if isinstance(block, ast.If)
                   and ast.unparse(block.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING")
                   for n in ast.walk(block)}
    found = []
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
    return found


def files() -> list[Path]:
    return sorted([*(ROOT / "planflow_qt").rglob("*.py"), *(ROOT / "nodes").rglob("*.py")])


def test_imports_point_down_the_layers():
    broken = []
    for path in files():
        name = path.relative_to(ROOT).as_posix()
        for module in runtime_imports(path):
            for prefix, (rule, forbidden) in RULES.items():
                if name.startswith(prefix) and forbidden(module):
                    broken.append(f"{name} imports {module}: {rule}")
    assert broken == []


def test_no_qt_below_the_editor():
    broken = [f"{path.relative_to(ROOT)} imports {module}" for path in files()
              if not path.relative_to(ROOT).as_posix().startswith("planflow_qt/editor/")
              for module in runtime_imports(path) if module.split(".")[0] in QT]
    assert broken == []


def test_the_rules_see_a_wrong_way_import(tmp_path):
    wrong = tmp_path / "wrong.py"
    wrong.write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import PySide6\n"
                     "from planflow_qt.engine import events\n", encoding="utf-8")
    assert runtime_imports(wrong) == ["typing", "planflow_qt.engine"]
