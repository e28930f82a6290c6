"""The package's modules import each other without a circle (issue 10, design 2).

``access``, ``grants`` and ``notifications`` used to import each other (partly inside
functions, which hides a circle until a refactoring turns it into an import error). Imports
point down: ``membership`` at the bottom, ``access`` above it, ``grants`` and ``notifications``
above that. Imports inside functions count as well.
"""

from __future__ import annotations

import ast
from pathlib import Path

import ckanext.daknong

PACKAGE_DIR = Path(ckanext.daknong.__file__).parent
PACKAGE = "ckanext.daknong"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE_DIR).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join([PACKAGE, *parts])


def _modules() -> dict[str, Path]:
    return {
        _module_name(path): path
        for path in PACKAGE_DIR.rglob("*.py")
        if "migration" not in path.parts and "__pycache__" not in path.parts
    }


def _imports(path: Path, modules: dict[str, Path]) -> set[str]:
    """The package's modules a file imports, at the top or inside functions."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [f"{node.module}.{alias.name}" for alias in node.names] + [node.module]
        else:
            continue
        for name in names:
            if name in modules and name.startswith(PACKAGE + "."):
                found.add(name)
    return found


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(path, modules) - {name} for name, path in modules.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_graph_sees_the_known_imports():
    graph = _graph()

    assert "ckanext.daknong.membership" in graph["ckanext.daknong.access"]
    assert "ckanext.daknong.access" in graph["ckanext.daknong.grants"]
    assert "ckanext.daknong.grants" in graph["ckanext.daknong.logic.action"]


def test_no_import_circle_among_the_packages_modules():
    assert _cycles(_graph()) == []


def test_membership_is_at_the_bottom():
    """Every role question can be answered without importing the workflow above it."""
    graph = _graph()

    assert graph["ckanext.daknong.membership"] == set()
    assert "ckanext.daknong.grants" not in graph["ckanext.daknong.access"]
    assert "ckanext.daknong.grants" not in graph["ckanext.daknong.notifications"]
    assert "ckanext.daknong.access" not in graph["ckanext.daknong.notifications"]


def test_a_circle_would_be_found():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
