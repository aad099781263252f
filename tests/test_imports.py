"""The import structure of ``medcore/``: no cycle, and none of the pages' or the bench's tools.

Every ``import`` and ``from ... import`` statement of every module under ``medcore/`` counts,
wherever it stands (module level, inside a function, under ``if __name__ == "__main__"`` or
``TYPE_CHECKING``): a cycle hidden behind a function-level import is still a cycle, it only
fails later. ``from package import name`` points at ``package.name`` when that is a module, else at
``package``. Importing ``a.b.c`` points at ``a.b.c`` only, not at its parent packages (a package's
``__init__`` importing its own submodules is not a cycle). Names looked up at run time
(``importlib.import_module(variable)``) are not followed.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "medcore"
#: Top-level packages the library never imports (DESIGN: pages and tooling only).
FORBIDDEN = ("streamlit", "playwright")


def module_names(package: Path = PACKAGE) -> dict[str, Path]:
    """Dotted module name -> file, for every ``.py`` under ``package``."""
    names = {}
    for path in sorted(package.rglob("*.py")):
        parts = list(path.relative_to(package.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join(parts)] = path
    return names


def _imports(name: str, path: Path, modules: dict[str, Path]) -> list[tuple[str, int]]:
    """``(imported module, line)`` for every import statement of module ``name``."""
    is_package = path.name == "__init__.py"
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = name.split(".")
                anchor = anchor[:len(anchor) - node.level + (1 if is_package else 0)]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:
                target = f"{base}.{alias.name}"
                found.append((target if target in modules else base, node.lineno))
    return found


def import_graph(package: Path = PACKAGE) -> dict[str, dict[str, int]]:
    """Module -> {medcore module it imports: line of the first such import}."""
    modules = module_names(package)
    graph: dict[str, dict[str, int]] = {}
    for name, path in modules.items():
        edges = graph.setdefault(name, {})
        for target, line in _imports(name, path, modules):
            if target in modules and target != name:
                edges.setdefault(target, line)
    return graph


def find_cycles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """Every elementary cycle, as ``[a, b, ..., a]`` starting at its alphabetically first module,
    sorted (depth-first from each module through modules that sort after it)."""
    cycles = []

    def extend(path: list[str]) -> None:
        for target in sorted(graph.get(path[-1], {})):
            if target == path[0]:
                cycles.append(path + [target])
            elif target > path[0] and target not in path:
                extend(path + [target])

    for start in sorted(graph):
        extend([start])
    return sorted(cycles)


def describe(graph: dict[str, dict[str, int]], cycle: list[str]) -> str:
    return " -> ".join(f"{a} (line {graph[a][b]})" for a, b in zip(cycle, cycle[1:])) \
        + f" -> {cycle[-1]}"


def test_medcore_has_no_import_cycle():
    graph = import_graph()
    cycles = find_cycles(graph)
    assert not cycles, "import cycles in medcore/:\n" + "\n".join(
        describe(graph, cycle) for cycle in cycles)


def test_medcore_never_imports_streamlit_or_playwright():
    modules = module_names()
    offending = [f"{name} imports {target} (line {line})"
                 for name, path in modules.items()
                 for target, line in _imports(name, path, modules)
                 if target.split(".")[0] in FORBIDDEN]
    assert not offending, "\n".join(offending)


def test_the_cycle_finder_finds_a_cycle_behind_a_function_level_import(tmp_path):
    package = tmp_path / "medcore"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "__init__.py").write_text("from .a import f\n")
    (package / "sub" / "a.py").write_text("def f():\n    from medcore.sub import b\n")
    (package / "sub" / "b.py").write_text("from . import a\n")
    (package / "c.py").write_text("from medcore.sub import a\nimport medcore.sub.b\n")
    graph = import_graph(package)
    assert graph["medcore.sub"] == {"medcore.sub.a": 1}
    assert graph["medcore.c"] == {"medcore.sub.a": 1, "medcore.sub.b": 2}
    cycles = find_cycles(graph)
    assert cycles == [["medcore.sub.a", "medcore.sub.b", "medcore.sub.a"]]
    assert describe(graph, cycles[0]) == (
        "medcore.sub.a (line 2) -> medcore.sub.b (line 1) -> medcore.sub.a")


@pytest.mark.parametrize("source", ["import streamlit as st\n",
                                    "def f():\n    from playwright.sync_api import sync_playwright\n"])
def test_forbidden_imports_are_seen_at_any_depth(tmp_path, source):
    package = tmp_path / "medcore"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "page.py").write_text(source)
    modules = module_names(package)
    assert [t for t, _ in _imports("medcore.page", package / "page.py", modules)
            if t.split(".")[0] in FORBIDDEN]
