"""The house says what it is: packages depend one way, and no module imports its way round
in a circle, counting imports inside functions (which only hide a cycle, they don't break it).

Put a new package in LAYERS where it belongs; a domain that needs to tell a higher one
about a change does it through `portal.core.changes`, not by importing upwards.
"""

from __future__ import annotations

import ast
import pathlib
from collections import defaultdict

ROOT = pathlib.Path(__file__).resolve().parents[2]
SOURCES = ("portal", "admin", "models", "questionnaires")

# Lowest first. A unit may import only from units in lower layers (or itself).
LAYERS: list[set[str]] = [
    {"models", "questionnaires", "portal", "portal.settings"},
    {"portal.core"},
    {"portal.suppliers"},
    {"portal.certifications", "portal.contracts", "portal.risks"},
    {"portal.assessments"},
    {"portal.bundles", "portal.notices"},
    {"portal.scoring"},
    {"portal.reports", "portal.imports", "portal.schedules"},
    {"portal.staff", "admin"},
    {"portal.jobs", "portal.wiring", "portal.demo"},
    {"portal.app", "portal.cli", "portal.piccolo_conf"},
    {"portal.__main__"},
]


def _modules() -> dict[str, pathlib.Path]:
    found = {}
    for source in SOURCES:
        for path in (ROOT / source).rglob("*.py"):
            relative = path.relative_to(ROOT)
            if "migrations" in relative.parts:
                continue
            name = ".".join(relative.with_suffix("").parts).removesuffix(".__init__")
            found[name] = path
    return found


def _unit(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] == "portal" and len(parts) > 1 else parts[0]


def _imports(modules: dict[str, pathlib.Path]) -> dict[str, dict[str, int]]:
    """module -> {imported module: line}, every import statement anywhere in the file."""

    def resolve(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, dict[str, int]] = defaultdict(dict)
    for module, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [f"{node.module}.{a.name}" for a in node.names]
            else:
                continue
            for name in names:
                if name.split(".")[0] not in SOURCES:
                    continue
                target = resolve(name)
                # a package's own __init__ is reached by importing any of its modules
                if target and target != module and not module.startswith(f"{target}."):
                    graph[module].setdefault(target, node.lineno)
    return graph


def _cycles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

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
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for vertex in list(graph):
        if vertex not in index:
            visit(vertex)
    return found


def test_no_module_imports_its_way_round_in_a_circle():
    assert _cycles(_imports(_modules())) == []


def test_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b": 1}, "b": {"c": 1}, "c": {"a": 1}, "d": {"a": 1}}) == [["a", "b", "c"]]


def test_packages_depend_downwards_only():
    layer = {unit: n for n, units in enumerate(LAYERS) for unit in units}
    modules = _modules()
    unplaced = sorted({_unit(m) for m in modules} - set(layer))
    assert not unplaced, f"place these in LAYERS: {unplaced}"
    upward = []
    for module, targets in _imports(modules).items():
        for target, line in targets.items():
            source_unit, target_unit = _unit(module), _unit(target)
            if source_unit != target_unit and layer[target_unit] >= layer[source_unit]:
                upward.append(f"{modules[module].relative_to(ROOT)}:{line} imports {target}")
    assert upward == []


def test_core_imports_no_domain():
    domains = set().union(*LAYERS[2:])
    modules = _modules()
    for module, targets in _imports(modules).items():
        if _unit(module) == "portal.core":
            assert not {_unit(t) for t in targets} & domains, module


def test_test_modules_never_import_each_other():
    """Shared steps live in tests/integration/journeys.py (HTTP, as a person would) and
    tests/factories.py (records through the services), not in another test module."""
    offenders = []
    for path in (ROOT / "tests").rglob("test_*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module \
                    and node.module.split(".")[-1].startswith("test_"):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} imports {node.module}")
    assert offenders == []
