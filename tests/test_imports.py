"""No import cycles among newsqa's modules (``src/newsqa``) and the bot's (``bot/``).

The imports are read with :mod:`ast`, not executed.  An edge A → B is any ``import`` or
``from … import`` in A that names B, at module level or inside a function (a function-level
import still ties A to B; it only hides the cycle until the function runs).  Imports under
``if TYPE_CHECKING:`` are not edges: they never run.  ``from pkg import name`` is an edge to
the submodule ``pkg.name`` when there is one, else to ``pkg``; importing a submodule is not an
edge to its parent package (Python has always finished importing the parent first).

No cycle is exempt, not even a function-level one: a registry that fills itself by importing
its plugins keeps them in a module of their own that the plugins import (as
``newsqa.ingest.loaders.registry`` does for the format modules).
"""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TREES = [REPO / "src" / "newsqa", REPO / "bot"]

def module_name(path: Path) -> str:
    """Dotted name of ``path``: its directory names up to the first one without __init__.py."""
    parts = [] if path.name == "__init__.py" else [path.stem]
    folder = path.parent
    while (folder / "__init__.py").exists():
        parts.insert(0, folder.name)
        folder = folder.parent
    return ".".join(parts)


def project_modules(trees: list[Path] = TREES) -> dict[str, Path]:
    return {module_name(p): p for tree in trees if tree.exists() for p in tree.rglob("*.py")}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(node: ast.AST, in_function: bool = False):
    """(import node, inside a function?) for every import that can run."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and _is_type_checking(child):
            for stmt in child.orelse:
                yield from _imports_of(stmt, in_function)
            continue
        yield from _imports_of(child, in_function)


def _imports_of(node: ast.AST, in_function: bool):
    if isinstance(node, ast.Import | ast.ImportFrom):
        yield node, in_function
    yield from _imports(node, in_function or isinstance(
        node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda))


def import_graph(trees: list[Path] = TREES) -> dict[str, dict[str, bool]]:
    """module → {imported project module: True if only ever imported inside functions}."""
    modules = project_modules(trees)
    graph: dict[str, dict[str, bool]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        edges: dict[str, bool] = {}

        def add(target: str, in_function: bool, edges=edges, name=name) -> None:
            if target != name:
                edges[target] = edges.get(target, True) and in_function

        for node, in_function in _imports(ast.parse(path.read_text("utf-8"), str(path))):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    parts = alias.name.split(".")
                    hits = [".".join(parts[:i]) for i in range(len(parts), 0, -1)
                            if ".".join(parts[:i]) in modules]
                    if hits:
                        add(hits[0], in_function)
                continue
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                if f"{target}.{alias.name}" in modules:
                    add(f"{target}.{alias.name}", in_function)
                elif target in modules:
                    add(target, in_function)
        graph[name] = edges
    return graph


def cycles(graph: dict[str, dict[str, bool]]) -> list[list[str]]:
    """One cycle (as a path A → … → A) for each strongly connected group of modules."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, {}):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.add(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(group)

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return [_path_within(graph, group) for group in groups]


def _path_within(graph: dict[str, dict[str, bool]], group: set[str]) -> list[str]:
    """A shortest cycle through the group's first module, staying inside the group."""
    start = min(group)
    paths = {start: [start]}
    queue = [start]
    while queue:
        v = queue.pop(0)
        for w in sorted(graph[v]):
            if w == start:
                return paths[v] + [start]
            if w in group and w not in paths:
                paths[w] = paths[v] + [w]
                queue.append(w)
    return sorted(group)


def describe(graph: dict[str, dict[str, bool]], cycle: list[str]) -> str:
    """``a -> b =(in a function)=> c -> a``."""
    out = cycle[0]
    for a, b in zip(cycle, cycle[1:], strict=False):
        out += f" {'=(in a function)=>' if graph[a][b] else '->'} {b}"
    return out


def test_module_names_follow_packages():
    assert module_name(REPO / "src" / "newsqa" / "engine.py") == "newsqa.engine"
    assert module_name(REPO / "src" / "newsqa" / "ingest" / "__init__.py") == "newsqa.ingest"
    modules = project_modules()
    assert "newsqa.ingest.loaders.csvfile" in modules
    assert any(name.split(".")[0] != "newsqa" for name in modules), "no bot modules found"


def test_graph_reads_every_kind_of_import(tmp_path):
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    files = {
        "__init__.py": "",
        "a.py": "from typing import TYPE_CHECKING\nfrom . import b\nfrom .sub import c\n"
                "if TYPE_CHECKING:\n    from pkg import d\nelse:\n    import pkg.e\n",
        "b.py": "def f():\n    from pkg.sub.c import X\n",
        "d.py": "", "e.py": "",
        "sub/__init__.py": "from .. import d\n",
        "sub/c.py": "from ..a import thing\nimport json\n",
    }
    for name, text in files.items():
        (pkg / name).write_text(text)
    graph = import_graph([pkg])
    assert graph["pkg.a"] == {"pkg.b": False, "pkg.sub.c": False, "pkg.e": False}
    assert graph["pkg.b"] == {"pkg.sub.c": True}
    assert graph["pkg.sub"] == {"pkg.d": False}
    assert graph["pkg.sub.c"] == {"pkg.a": False}
    assert [sorted(c) for c in cycles(graph)] == [["pkg.a", "pkg.a", "pkg.sub.c"]]


def test_no_import_cycles_at_module_level():
    graph = {m: {t: f for t, f in edges.items() if not f} for m, edges in import_graph().items()}
    found = cycles(graph)
    assert not found, "import cycles at module level:\n  " + "\n  ".join(
        describe(graph, c) for c in found)


def test_no_import_cycles_counting_function_level_imports():
    graph = import_graph()
    found = cycles(graph)
    assert not found, "import cycles (function-level imports count):\n  " + "\n  ".join(
        describe(graph, c) for c in found)
