# SPDX-License-Identifier: GPL-3.0-or-later
"""The add-on's modules import each other without a circle (imports inside functions included).

Read from the source with ``ast``, so no bpy is needed: an edge A -> B for every ``from . import B`` /
``from .B import x`` in A, at module level or inside a function. Imports of the engine (``from .. import engine``)
leave the package and are not edges.
"""

from __future__ import annotations

import ast
from pathlib import Path

ADDON = Path(__file__).resolve().parents[2] / "blender_addon"


def import_graph(package: Path) -> dict[str, set[str]]:
    """module -> the package's modules it imports (``__init__`` for names taken from the package itself)."""
    modules = {p.stem for p in package.glob("*.py")}
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for path in package.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if not isinstance(node, ast.ImportFrom) or node.level != 1:
                continue
            if node.module:
                graph[path.stem].add(node.module.split(".")[0])
            else:
                graph[path.stem].update(a.name if a.name in modules else "__init__" for a in node.names)
    return graph


def find_cycles(graph: dict[str, set[str]]) -> list[tuple[list[str], list[str]]]:
    """(the modules of a strongly connected component, one cycle through it as a path that ends where it starts)
    for every component that has a cycle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1 or v in graph.get(v, ()):
                components.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    cycles = []
    for comp in components:
        members = set(comp)
        path, seen = [comp[0]], {comp[0]}
        while True:  # walk inside the component until a module repeats
            nxt = sorted(graph[path[-1]] & members)[0]
            if nxt in seen:
                cycles.append((comp, path[path.index(nxt):] + [nxt]))
                break
            path.append(nxt)
            seen.add(nxt)
    return cycles


def test_finds_a_cycle_through_a_function_level_import(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("from . import b\n")
    (tmp_path / "b.py").write_text("def f():\n    from .c import x\n")
    (tmp_path / "c.py").write_text("from .a import y\nfrom .. import engine\n")
    (tmp_path / "d.py").write_text("from .a import y\n")
    graph = import_graph(tmp_path)
    assert graph == {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert find_cycles(graph) == [(["a", "b", "c"], ["a", "b", "c", "a"])]


def test_addon_has_no_import_cycle() -> None:
    graph = import_graph(ADDON)
    assert "engine_bridge" in graph["handlers"]  # the graph sees the package's imports
    cycles = find_cycles(graph)
    assert not cycles, "import cycles in blender_addon/: " + "; ".join(
        f"{len(comp)} modules import each other ({', '.join(comp)}), e.g. {' -> '.join(path)}" for comp, path in cycles)


def test_settings_import_nothing_of_the_addon() -> None:
    assert import_graph(ADDON)["settings"] == set()


def test_only_the_bridge_imports_the_engine_and_only_on_use() -> None:
    """The engine is bundled beside the add-on (``from .. import engine``): engine_bridge imports it, inside its
    functions (onnxruntime, OpenCV and PyAV load on first use); no other module does."""
    for path in sorted(ADDON.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        top_level = {id(n) for n in tree.body}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level >= 2:
                assert path.stem == "engine_bridge", f"{path.name}:{node.lineno} imports the engine"
                assert id(node) not in top_level, f"{path.name}:{node.lineno} imports the engine at load time"
