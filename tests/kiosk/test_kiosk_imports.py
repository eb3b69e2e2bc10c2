"""No import cycles in the kiosk and its side of sync: the graph is built from the source.

Every ``import`` counts, at module level or inside a function (a lazy import
still ties two modules together), and so does a ``#:import`` line in the
``.kv`` file a module loads beside itself.  Only the packages' own modules are
nodes; ``sync.collector`` is the server's and is left out.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from tests.support import ROOT

PACKAGES = ("kiosk", "sync")
LEFT_OUT = ("sync.collector",)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            name = module_name(path)
            if not any(name == out or name.startswith(out + ".") for out in LEFT_OUT):
                found[name] = path
    return found


def imported(name: str, path: Path, known: dict[str, Path]) -> Iterator[str]:
    """The modules ``name`` imports (anywhere in it, and in its ``.kv`` file)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                yield submodule if submodule in known else base
    kv = path.with_suffix(".kv")
    if kv.exists():
        for line in kv.read_text(encoding="utf-8").splitlines():
            if line.startswith("#:import "):
                target = line.split()[2]
                while target and target not in known:
                    target = target.rpartition(".")[0]
                if target:
                    yield target


def import_graph() -> dict[str, set[str]]:
    known = modules()
    return {name: {target for target in imported(name, path, known)
                   if target in known and target != name}
            for name, path in known.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a path ``[a, b, ..., a]``, or None (depth-first search)."""
    state: dict[str, str] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        stack.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == "open":
                return [*stack[stack.index(target):], target]
            if target not in state:
                cycle = visit(target)
                if cycle:
                    return cycle
        stack.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node)
            if cycle:
                return cycle
    return None


def test_the_graph_sees_lazy_and_kv_imports():
    graph = import_graph()
    assert "kiosk.screens.pinpad" in graph["kiosk.app"]  # imported inside HymyApp.build
    assert "kiosk.theme" in graph["kiosk.screens.thanks"]  # from thanks.kv's #:import
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_cycles_in_the_kiosk_or_sync():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_sync_never_imports_the_kiosk():
    graph = import_graph()
    reaching = {name: sorted(t for t in targets if t.startswith("kiosk"))
                for name, targets in graph.items() if name.startswith("sync")}
    assert not any(reaching.values()), reaching
