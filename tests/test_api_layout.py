"""The api/ package's layout holds: no import cycle among its modules at module level, and each layer
imports only downwards (store ← service ← http ← cli). The route table imports in a fresh interpreter on
its own and the OpenAPI description is built from it, so no view may reach back for the table."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
API = REPO / "api"

# What each part of api/ may import (besides itself and the package-level api.errors / api.version).
LAYERS = {
    "api.store": set(),
    "api.service": {"api.store"},
    "api.http": {"api.store", "api.service"},
    "api.cli": {"api.store", "api.service", "api.http"},
}
SHARED = {"api", "api.errors", "api.version"}


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(API.rglob("*.py"))}


def _absolute(module: str, is_package: bool, level: int, name: str | None) -> str:
    base = module.split(".") if is_package else module.split(".")[:-1]
    if level > 1:
        base = base[: len(base) - (level - 1)]
    return ".".join(base + ([name] if name else []))


def imports_of(module: str, top_level_only: bool) -> set[str]:
    """The api modules ``module`` imports (``from .views import crawls`` names the package and its module)."""
    path = MODULES[module]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.ImportFrom):
            target = (_absolute(module, path.name == "__init__.py", node.level, node.module) if node.level
                      else node.module or "")
            found.add(target)
            found.update(f"{target}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name in MODULES and name != module}


def part_of(module: str) -> str | None:
    return next((layer for layer in LAYERS if module == layer or module.startswith(layer + ".")), None)


def test_the_module_map_sees_the_layers():
    assert {"api.http.routes", "api.http.openapi", "api.http.views.meta", "api.service.jobs", "api.cli.main",
            "api.store.base"} <= set(MODULES)
    assert "api.http.views.crawls" in imports_of("api.http.routes", top_level_only=True)
    assert "api.store.records" in imports_of("api.service.pipeline", top_level_only=True)


def test_no_import_cycle_among_api_modules_at_module_level():
    graph = {module: imports_of(module, top_level_only=True) for module in MODULES}
    cycles = []
    state: dict[str, str] = {}

    def visit(module: str, stack: list[str]) -> None:
        state[module] = "open"
        for target in sorted(graph[module]):
            if state.get(target) == "open":
                cycles.append(" → ".join(stack[stack.index(target):] + [target]))
            elif target not in state:
                visit(target, [*stack, target])
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


def test_each_layer_imports_only_downwards_even_late():
    wrong = []
    for module in MODULES:
        layer = part_of(module)
        if layer is None:
            continue
        for target in imports_of(module, top_level_only=False):
            target_layer = part_of(target)
            if target in SHARED or target_layer in (None, layer) or target_layer in LAYERS[layer]:
                continue
            wrong.append(f"{module} imports {target}")
    assert not wrong, "upward imports:\n" + "\n".join(sorted(wrong))


def test_views_never_import_the_route_table_or_the_app():
    wrong = [f"{module} imports {target}" for module in MODULES if module.startswith("api.http.views")
             for target in imports_of(module, top_level_only=False)
             if target in ("api.http.routes", "api.http.openapi", "api.http.app", "api.http.server")]
    assert not wrong, "\n".join(wrong)


def test_the_route_table_imports_alone_and_openapi_describes_every_route():
    code = ("import json, api.http.routes as r; from api.http.openapi import spec; s = spec(); "
            "print(json.dumps({'routes': sorted(f'{x.method} {x.path}' for x in r.ROUTES), "
            "'spec': sorted(f'{m.upper()} {p}' for p, ops in s['paths'].items() for m in ops)}))")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    listed = json.loads(done.stdout)
    assert listed["routes"] == listed["spec"]
    assert "GET /v1/sites/{domain}/summary" in listed["routes"] and "POST /v1/crawls" in listed["routes"]
