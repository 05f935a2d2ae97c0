"""The package's import graph, read with ``ast`` (nothing is imported): no cycles, no import from a lower layer
to a higher one, the runtime imports nothing above it, and no front end imports another front end.

Every import counts, those inside functions too (a lazy import is still a dependency). Also: every name
imported from the package exists where it is imported from (a moved or removed name, which ruff cannot see
across modules, fails here rather than at the first import in a slow test)."""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = "yourtts_onnx"

#: the layers, lowest first: a module may import its own layer and the layers below it. ``""`` is the
#: top-level package itself (``yourtts_onnx/__init__.py``).
LAYERS: tuple[frozenset[str], ...] = (
    frozenset({"", "errors", "progress"}),
    frozenset({"runtime", "schemas"}),
    frozenset({"export"}),
    frozenset({"optimize", "voice_export"}),
    frozenset({"bench"}),
    frozenset({"serving"}),
    frozenset({"server", "wyoming", "batch", "web"}),
    frozenset({"commands"}),
    frozenset({"cli"}),
    frozenset({"__main__"}),
)
FRONT_ENDS = frozenset({"server", "wyoming", "batch", "web"})
#: what the runtime must never import
ABOVE_RUNTIME = frozenset(
    {
        "export",
        "optimize",
        "bench",
        "serving",
        "server",
        "wyoming",
        "batch",
        "web",
        "commands",
        "voice_export",
        "cli",
    }
)

# Edges allowed to break the rules while a refactor is under way (none today: the serving core took Wyoming's
# job runner and settings out of the HTTP package, and its handler and service no longer import each other).
# A cycle is allowed only when all its edges are listed.
KNOWN_VIOLATIONS: frozenset[tuple[str, str]] = frozenset()

Graph = dict[str, set[str]]


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(name: str, source: str, is_package: bool, modules: Iterable[str]) -> set[str]:
    """The package's modules that ``source`` (module ``name``) imports: ``from a import b`` names module
    ``a.b`` when there is one, else ``a``."""
    known = set(modules)
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                found.add(sub if sub in known else target)
    return {m for m in found if m in known and m != name}


def import_graph(root: Path, package: str = PACKAGE) -> Graph:
    paths = {module_name(p, root): p for p in sorted((root / package).rglob("*.py"))}
    return {
        name: imports_of(name, path.read_text(encoding="utf-8"), path.name == "__init__.py", paths)
        for name, path in paths.items()
    }


def cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
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
    return found


def _defined(body: list[ast.stmt]) -> set[str]:
    """Names a module's top level binds (through ``if``/``try`` blocks too, not inside functions)."""
    names: set[str] = set()
    for node in body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                names.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
        elif isinstance(node, ast.Import):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            names.update(a.asname or a.name for a in node.names)
        elif isinstance(node, ast.If | ast.Try | ast.With):
            for block in ("body", "orelse", "finalbody", "handlers"):
                for part in getattr(node, block, []):
                    names |= _defined(part.body if isinstance(part, ast.ExceptHandler) else [part])
    return names


def unresolved_imports(root: Path, package: str = PACKAGE) -> list[str]:
    """``from yourtts_onnx.m import name`` where ``m`` neither defines ``name`` nor has a submodule of that
    name (a name moved or removed, which ruff cannot see across modules)."""
    paths = {module_name(p, root): p for p in sorted((root / package).rglob("*.py"))}
    trees = {name: ast.parse(path.read_text(encoding="utf-8")) for name, path in paths.items()}
    defined = {name: _defined(tree.body) for name, tree in trees.items()}
    problems = []
    for name, tree in trees.items():
        is_package = paths[name].name == "__init__.py"
        for node in ast.walk(tree):
            if not isinstance(node, ast.ImportFrom):
                continue
            if node.level:
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            if target not in defined:
                continue
            for alias in node.names:
                if (
                    alias.name != "*"
                    and alias.name not in defined[target]
                    and f"{target}.{alias.name}" not in paths
                ):
                    problems.append(f"{name}:{node.lineno}: {target} has no {alias.name!r}")
    return problems


def subpackage(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def layer_of(module: str) -> int:
    sub = subpackage(module)
    for rank, members in enumerate(LAYERS):
        if sub in members:
            return rank
    raise AssertionError(f"{module}: its package '{sub}' has no layer; add it to LAYERS in {__file__}")


def violations(graph: Mapping[str, set[str]], allowed: frozenset[tuple[str, str]] = frozenset()) -> list[str]:
    """Every import that breaks a rule, as ``'a -> b: why'``; edges in ``allowed`` are not reported, and a
    cycle is reported unless all its edges are allowed."""
    problems = []
    for source, targets in sorted(graph.items()):
        for target in sorted(targets):
            if (source, target) in allowed:
                continue
            a, b = subpackage(source), subpackage(target)
            if a == "runtime" and b in ABOVE_RUNTIME:
                problems.append(f"{source} -> {target}: the runtime imports {b}")
            elif a in FRONT_ENDS and b in FRONT_ENDS and a != b:
                problems.append(f"{source} -> {target}: front end {a} imports front end {b}")
            elif layer_of(target) > layer_of(source):
                problems.append(f"{source} -> {target}: {a or PACKAGE} imports the higher layer {b}")
    for component in cycles(graph):
        members = set(component)
        edges = {(s, t) for s in component for t in graph[s] if t in members}
        if not edges <= allowed:
            problems.append(f"import cycle: {' <-> '.join(component)}")
    return problems


@pytest.fixture(scope="module")
def graph() -> Graph:
    return import_graph(SRC)


def test_the_import_graph_keeps_its_layers(graph: Graph) -> None:
    assert violations(graph, KNOWN_VIOLATIONS) == []


def test_the_known_violations_still_exist(graph: Graph) -> None:
    """An allow-listed edge that is gone must leave the list (it would hide its return)."""
    gone = sorted(f"{s} -> {t}" for s, t in KNOWN_VIOLATIONS if t not in graph.get(s, set()))
    assert gone == []


def test_the_runtime_imports_nothing_above_it(graph: Graph) -> None:
    runtime = {m for m in graph if subpackage(m) == "runtime"}
    assert len(runtime) > 20
    assert [f"{m} -> {t}" for m in sorted(runtime) for t in graph[m] if subpackage(t) in ABOVE_RUNTIME] == []


def test_every_imported_name_exists() -> None:
    assert unresolved_imports(SRC) == []


def _write(root: Path, modules: Mapping[str, str]) -> None:
    for name, source in modules.items():
        path = root / Path(*name.split("."))
        package = name in {m.rsplit(".", 1)[0] for m in modules if "." in m}
        path = path / "__init__.py" if package else path.with_suffix(".py")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source, encoding="utf-8")


def test_the_checks_catch_each_kind_of_violation(tmp_path: Path) -> None:
    """Negative control: a synthetic package breaking each rule once is reported, each time."""
    _write(
        tmp_path,
        {
            "yourtts_onnx": "",
            "yourtts_onnx.errors": "class E(Exception):\n    pass\n",
            "yourtts_onnx.runtime": "",
            "yourtts_onnx.runtime.a": "def f():\n    from yourtts_onnx.export import b\n",
            "yourtts_onnx.runtime.c": "from . import d\n",
            "yourtts_onnx.runtime.d": "from yourtts_onnx.runtime.c import x\n",
            "yourtts_onnx.export": "",
            "yourtts_onnx.export.b": "import yourtts_onnx.server.s\n",
            "yourtts_onnx.server": "",
            "yourtts_onnx.server.s": "from yourtts_onnx.errors import E\n",
            "yourtts_onnx.wyoming": "",
            "yourtts_onnx.wyoming.w": "from ..server import s\n",
        },
    )
    graph = import_graph(tmp_path)
    assert graph["yourtts_onnx.runtime.c"] == {"yourtts_onnx.runtime.d"}
    assert graph["yourtts_onnx.wyoming.w"] == {"yourtts_onnx.server.s"}
    assert violations(graph) == [
        "yourtts_onnx.export.b -> yourtts_onnx.server.s: export imports the higher layer server",
        "yourtts_onnx.runtime.a -> yourtts_onnx.export.b: the runtime imports export",
        "yourtts_onnx.wyoming.w -> yourtts_onnx.server.s: front end wyoming imports front end server",
        "import cycle: yourtts_onnx.runtime.c <-> yourtts_onnx.runtime.d",
    ]
    assert unresolved_imports(tmp_path) == ["yourtts_onnx.runtime.d:1: yourtts_onnx.runtime.c has no 'x'"]
    allowed = frozenset({("yourtts_onnx.runtime.c", "yourtts_onnx.runtime.d")})
    assert "import cycle: yourtts_onnx.runtime.c <-> yourtts_onnx.runtime.d" in violations(graph, allowed)
