"""No import circle among the reporting modules: the suite's plugin, the matrix
command and everything in conformance/reporting/ import one another one way only,
and the reporting modules never import the suite's plugin."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "conformance"
MODULES = {
    "conformance.plugin": ROOT / "plugin.py",
    "conformance.matrix": ROOT / "matrix.py",
    **{
        f"conformance.reporting.{p.stem}": p
        for p in (ROOT / "reporting").glob("*.py")
        if p.stem != "__init__"
    },
}


def _imports(path: Path) -> set[str]:
    """The modules among MODULES that ``path`` imports, at any depth of its code."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found & set(MODULES)


def test_the_reporting_modules_import_each_other_without_a_circle() -> None:
    graph = {name: _imports(path) for name, path in MODULES.items()}
    assert graph["conformance.plugin"], "the premise: the plugin imports the reporting modules"
    state: dict[str, str] = {}

    def visit(name: str, path: list[str]) -> None:
        state[name] = "open"
        for dep in sorted(graph[name]):
            assert state.get(dep) != "open", f"import circle: {' -> '.join([*path, name, dep])}"
            if dep not in state:
                visit(dep, [*path, name])
        state[name] = "done"

    for name in graph:
        if name not in state:
            visit(name, [])


def test_no_reporting_module_imports_the_suites_plugin() -> None:
    for name, path in MODULES.items():
        if name.startswith("conformance.reporting."):
            assert "conformance.plugin" not in _imports(path), name
