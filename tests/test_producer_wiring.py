"""Finding producers are explicit wiring: one ``PRODUCERS`` list (analyzer/producers.py) names every
producer in run order, so a producer runs because it is listed, never because its module happened
to be imported. No browser: these read the code and the findings catalogue."""

from __future__ import annotations

import ast
import inspect
import textwrap
from pathlib import Path

from analyzer.producers import PRODUCERS
from analyzer.rules import load_rules

REPO = Path(__file__).resolve().parents[1]
BUILDER = "build_finding"
# Codes in data/findings.yaml that no producer in PRODUCERS emits, with where they come from instead.
PRODUCED_ELSEWHERE: dict[str, str] = {}


def _codes_built_in(tree: ast.AST) -> set[str]:
    return {node.args[1].value for node in ast.walk(tree)
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == BUILDER
            and len(node.args) > 1 and isinstance(node.args[1], ast.Constant)}


def _codes_of(producer) -> set[str]:
    return _codes_built_in(ast.parse(textwrap.dedent(inspect.getsource(producer))))


def _functions_that_build_findings() -> set[tuple[str, str]]:
    """(module, function) of every top-level function in analyzer/ that builds a finding."""
    found = set()
    for path in sorted((REPO / "analyzer").rglob("*.py")):
        module = ".".join(path.relative_to(REPO).with_suffix("").parts)
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.FunctionDef) and _codes_built_in(node):
                found.add((module, node.name))
    return found


def test_every_code_in_the_catalogue_comes_from_a_listed_producer():
    codes = set(load_rules().codes)
    produced = set().union(*(_codes_of(p) for p in PRODUCERS))
    assert sorted(codes - produced - set(PRODUCED_ELSEWHERE)) == [], "codes no producer in PRODUCERS emits"
    assert sorted(produced - codes) == [], "producers emit codes findings.yaml does not define"


def test_every_function_that_builds_a_finding_is_listed():
    # A producer written but not listed in PRODUCERS would never run: nothing registers itself.
    listed = {(p.__module__, p.__name__) for p in PRODUCERS}
    assert sorted(_functions_that_build_findings() - listed) == []


def test_each_producer_is_listed_once():
    names = [f"{p.__module__}.{p.__name__}" for p in PRODUCERS]
    assert len(set(names)) == len(names), names


def test_importing_a_producer_module_registers_nothing():
    # The list is the whole wiring: modules have no registry to append to.
    import analyzer.behaviour.findings as behaviour
    import analyzer.consent.findings as consent
    import analyzer.findings as policy

    for module in (policy, behaviour, consent):
        assert not hasattr(module, "PRODUCERS") and not hasattr(module, "producer"), module.__name__


def _private_imports(package: str) -> list[str]:
    """``from x import _name`` across modules (``as _alias`` of a public name is fine)."""
    out = []
    for path in sorted((REPO / package).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module != "__future__":
                out += [f"{path.relative_to(REPO)}:{node.lineno} {a.name}" for a in node.names
                        if a.name.startswith("_") and not a.name.startswith("__")]
    return out


def test_no_module_imports_another_modules_private_names():
    assert _private_imports("analyzer") + _private_imports("crawler") == []
