"""The import contract: layers that import one way.

Every module of `portal` belongs to one layer, lowest first:

    foundation   settings, clock, db, i18n, broker, vapid, logs, validation: know nothing of the web
                 or of features
    web          portal/web/*, portal/deps.py: sessions, CSRF, forms, templating, request helpers
    identity     people, codes, passkey models, and the events identity announces (identity/events.py)
    access       portal/access.py, the one `can()`: knows actors and subjects, no feature's models
    models       <feature>/models.py: tables
    services     everything else in a feature: use cases and domain rules (no HTTP)
    aggregators  pages built from many features' services (the dashboard)
    routes       *routes.py, live streams (*/live.py) and request dependencies (*/deps.py, carers/guard.py)
    app          app.py, cli.py, the table registry (models.py), the demo, and each feature package's
                 __init__.py, whose `routers()` hands the app that feature's routers

A module may import from its own layer or lower ones, never higher; within one layer, features
(packages) import each other one way (no cycle), and no module imports itself back, even through an
import inside a function. Route modules never import other route modules. Packages as a whole do
import each other both ways, because a feature is a vertical slice: help's routes use accounts'
services while accounts' services use help's models, each pointing down the layers.

Imports inside functions count: they hide a cycle, they do not remove it."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "portal"

LAYERS = ["foundation", "web", "identity", "access", "models", "services", "aggregators", "routes", "app"]
FOUNDATION = {"portal", "portal.settings", "portal.clock", "portal.db", "portal.i18n", "portal.broker",
              "portal.vapid", "portal.logs", "portal.validation"}
IDENTITY = {"portal.identity.models", "portal.identity.codes", "portal.identity.aaguids",
            "portal.identity.events"}
AGGREGATORS = {"portal.accounts.dashboard"}
ROUTE_HELPERS = {"deps", "guard", "live"}
APP = {"portal.app", "portal.cli", "portal.models"}
FEATURE_PACKAGES = {f"portal.{path.parent.name}" for path in ROOT.glob("*/__init__.py")
                    if path.parent.name not in ("web", "migrations")}


def layer_of(module: str) -> str:
    name = module.rsplit(".", 1)[-1]
    if module in FOUNDATION:
        return "foundation"
    if module.startswith("portal.web") or module == "portal.deps":
        return "web"
    if module in IDENTITY:
        return "identity"
    if module == "portal.access":
        return "access"
    if module in APP or module.startswith("portal.demo") or module in FEATURE_PACKAGES:
        return "app"
    if name.endswith("routes") or name in ROUTE_HELPERS:
        return "routes"
    if module in AGGREGATORS:
        return "aggregators"
    if name == "models":
        return "models"
    return "services"


def package_of(module: str) -> str:
    return ".".join(module.split(".")[:2])


def is_route_module(module: str) -> bool:
    return module.rsplit(".", 1)[-1].endswith("routes")


def import_graph() -> dict[str, set[str]]:
    """Each module of portal (migrations aside) -> the portal modules it imports, anywhere in it."""
    modules: dict[str, Path] = {}
    for path in ROOT.rglob("*.py"):
        if "migrations" in path.relative_to(ROOT).parts:
            continue
        parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names if alias.name in modules)
            elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("portal"):
                for alias in node.names:
                    full = f"{node.module}.{alias.name}"
                    found.add(full if full in modules else node.module)
        graph[module] = {target for target in found if target in modules and target != module}
    return graph


GRAPH = import_graph()


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one member (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
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


def test_every_module_is_in_a_layer_and_the_graph_is_not_empty() -> None:
    assert len(GRAPH) > 100
    assert {layer_of(module) for module in GRAPH} == set(LAYERS)


def test_no_module_imports_a_higher_layer() -> None:
    crossings = [f"{module} ({layer_of(module)}) imports {target} ({layer_of(target)})"
                 for module, targets in sorted(GRAPH.items()) for target in sorted(targets)
                 if LAYERS.index(layer_of(target)) > LAYERS.index(layer_of(module))]
    assert not crossings, "layers crossed:\n" + "\n".join(crossings)


def test_route_modules_never_import_each_other() -> None:
    found = [f"{module} imports {target}" for module, targets in sorted(GRAPH.items())
             for target in sorted(targets) if is_route_module(module) and is_route_module(target)]
    assert not found, "\n".join(found)


def test_the_permission_check_knows_no_feature() -> None:
    assert GRAPH["portal.access"] <= {"portal.identity.models"}


@pytest.mark.parametrize("layer", LAYERS)
def test_features_in_one_layer_import_each_other_one_way(layer: str) -> None:
    packages: dict[str, set[str]] = defaultdict(set)
    for module, targets in GRAPH.items():
        for target in targets:
            if layer_of(module) == layer_of(target) == layer and package_of(module) != package_of(target):
                packages[package_of(module)].add(package_of(target))
    assert not cycles(packages), f"features in the {layer} layer import each other both ways"


def test_no_module_imports_itself_back() -> None:
    assert not cycles(GRAPH), "import cycles (imports inside functions count too)"


# Not rollback: a handler whose use case failed may roll back, so the page that explains it can still
# read; that neither reads nor saves anything itself.
DATABASE_WORK = {"exec", "execute", "get", "add", "add_all", "delete", "commit", "flush", "refresh",
                 "scalar", "scalars", "merge"}
QUERY_BUILDERS = {"select", "update", "delete", "insert", "text", "col", "func", "or_", "and_"}


def test_route_modules_never_query_or_commit() -> None:
    """Handlers parse, call one service function, then redirect or render: the service reads and
    writes the database, in one transaction per use case."""
    found: list[str] = []
    for module in sorted(GRAPH):
        if not is_route_module(module):
            continue
        path = ROOT.parent.joinpath(*module.split(".")).with_suffix(".py")
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "db"
                    and node.func.attr in DATABASE_WORK):
                found.append(f"{module}:{node.lineno} db.{node.func.attr}()")
            if (isinstance(node, ast.ImportFrom) and node.module in ("sqlmodel", "sqlalchemy")
                    and any(alias.name in QUERY_BUILDERS for alias in node.names)):
                found.append(f"{module}:{node.lineno} imports a query builder from {node.module}")
    assert not found, "\n".join(found)


TEST_PACKAGES = ("tests", "e2e")


def imported_modules(tree: ast.Module, package: str) -> set[str]:
    """Every module a file names in an import, anywhere in it: `from tests import test_x` names
    tests.test_x too, and a relative import is read from the file's own package."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = ".".join(part for part in (package if node.level else "", node.module or "") if part)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def is_test_module(module: str) -> bool:
    parts = module.split(".")
    return len(parts) >= 2 and parts[0] in TEST_PACKAGES and parts[1].startswith("test_")


def test_no_test_module_imports_another() -> None:
    """Helpers that test modules share live in tests/helpers.py (e2e/steps.py for the browser), fixtures
    in conftest.py, so a test file can be moved, renamed or deleted without breaking another."""
    paths = [path for package in TEST_PACKAGES
             for path in sorted(ROOT.parent.joinpath(package).glob("test_*.py"))]
    assert len(paths) > 50
    found: list[str] = []
    for path in paths:
        package = path.parent.name
        tree = ast.parse(path.read_text(), str(path))
        named = {".".join(module.split(".")[:2]) for module in imported_modules(tree, package)
                 if is_test_module(module)}
        found += [f"{package}/{path.name} imports {module}" for module in sorted(named)]
    assert not found, "test modules import other test modules:\n" + "\n".join(found)
