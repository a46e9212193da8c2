"""Derive the RayStation 2025 facts table from independent type stubs.

    python tools/raystation_facts.py [STUBS_DIR] [-o planflow_qt/backends/raystation/double/facts_2025.json]

STUBS_DIR is the `raystation-stubs-2025` folder (it holds `raystation/v2025/*.pyi`). The table lists, for
every class: its bases, its properties (type, and whether a setter exists) and its methods (keyword names,
their types, which have defaults, the return type); and the module-level functions. The RayStation test
double reads it to refuse what the stubs do not have. The stubs are read with `ast`, never imported.
"""

from __future__ import annotations

import argparse
import ast
import json
import logging
import sys
from pathlib import Path

log = logging.getLogger("raystation_facts")
DEFAULT_STUBS = Path(__file__).resolve().parents[2] / "shared" / "reference" / "raystation-stubs-2025"
DEFAULT_OUT = Path(__file__).resolve().parents[1] / "planflow_qt" / "backends" / "raystation" / "double" / \
    "facts_2025.json"


def _text(node: ast.expr | None) -> str:
    return "" if node is None else ast.unparse(node)


def _decorators(fn: ast.FunctionDef) -> list[str]:
    return [_text(d) for d in fn.decorator_list]


def _method(fn: ast.FunctionDef) -> dict:
    args = fn.args
    positional = args.posonlyargs + args.args
    defaults = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    params = [[a.arg, _text(a.annotation), d is not None] for a, d in zip(positional, defaults, strict=True)]
    params += [[a.arg, _text(a.annotation), d is not None]
               for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True)]
    if params and params[0][0] == "self":
        params = params[1:]
    return {"params": params, "returns": _text(fn.returns), "doc": (ast.get_docstring(fn) or "").split("\n")[0]}


def _class(node: ast.ClassDef) -> dict:
    properties: dict[str, dict] = {}
    methods: dict[str, dict] = {}
    for item in node.body:
        if not isinstance(item, ast.FunctionDef) or item.name.startswith("_"):
            continue
        decorators = _decorators(item)
        if "property" in decorators:
            properties.setdefault(item.name, {"type": _text(item.returns), "setter": False})
        elif any(d.endswith(".setter") for d in decorators):
            properties.setdefault(item.name, {"type": "", "setter": False})["setter"] = True
        elif "overload" not in decorators:
            methods[item.name] = _method(item)
    return {"bases": [_text(b) for b in node.bases], "properties": properties, "methods": methods}


def derive(stubs: Path) -> dict:
    """The facts table of every `.pyi` under `stubs/raystation/v2025`."""
    folder = stubs / "raystation" / "v2025"
    files = sorted(folder.glob("*.pyi"))
    if not files:
        raise FileNotFoundError(f"{folder}: no .pyi files (give the raystation-stubs-2025 folder)")
    classes: dict[str, dict] = {}
    functions: dict[str, dict] = {}
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in tree.body:
            if isinstance(node, ast.ClassDef):
                if node.name in classes:
                    log.warning("%s: class %s defined twice; the first is kept", path.name, node.name)
                    continue
                classes[node.name] = {"module": path.stem, **_class(node)}
            elif isinstance(node, ast.FunctionDef) and "overload" not in _decorators(node):
                functions[node.name] = _method(node)
    return {"source": "raystation-stubs-2025 (independent type stubs of the RayStation 2025 API, MIT)",
            "classes": classes, "functions": functions}


def main(argv: list[str] | None = None) -> int:
    """Write the facts table as JSON (sorted keys, one class per line block)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("stubs", type=Path, nargs="?", default=DEFAULT_STUBS)
    parser.add_argument("-o", "--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        facts = derive(args.stubs)
    except (OSError, SyntaxError) as exc:
        log.error("cannot read the stubs: %s", exc)
        return 2
    args.out.write_text(json.dumps(facts, indent=0, sort_keys=True) + "\n", encoding="utf-8")
    methods = sum(len(c["methods"]) for c in facts["classes"].values())
    properties = sum(len(c["properties"]) for c in facts["classes"].values())
    log.info("%s: %d classes, %d methods, %d properties, %d functions", args.out, len(facts["classes"]),
             methods, properties, len(facts["functions"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
