"""Static gates that fail the test run: ruff over the Python code, TypeScript's checkJs over the extension.

Both read their configuration from the repository (``[tool.ruff]`` in pyproject.toml, extension/tsconfig.json),
so running the tool by hand gives the same answer as this test.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import typing
from pathlib import Path

import msgspec
import pytest

ROOT = Path(__file__).resolve().parents[1]


def _run(command: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=240, check=False)


@pytest.mark.static
def test_ruff_finds_nothing():
    """`python -m ruff check .` passes.

    Most findings fix themselves: `python -m ruff check --fix .` (import order, pyupgrade rewrites). Never run
    `ruff format`: the code is hand-formatted. A deliberate exception takes a `# noqa: CODE - why` on its line,
    or a reasoned entry in `[tool.ruff.lint]` of pyproject.toml. An unused noqa (RUF100) is left to you on
    purpose: drop the `noqa: CODE` and keep the why as a plain comment.
    """
    result = _run([sys.executable, "-m", "ruff", "check", "--no-cache", "--output-format", "concise", "."])
    assert result.returncode == 0, f"ruff check failed:\n{result.stdout}{result.stderr}"


@pytest.mark.static
def test_extension_type_checks():
    """`npx tsc -b --force extension` passes: TypeScript checks the extension's JavaScript (checkJs, strict).

    extension/tsconfig.json lists one project per page (popup, options, background: each page's scripts
    share one global scope, as the browser loads them); extension/types/ holds the ambient declarations
    and the typedefs of the service's JSON (types/api.d.ts). `--force`: never trust an earlier run's
    .tsbuildinfo (written next to each project's config, git-ignored, left out of the store packages).
    """
    tsc = ROOT / "node_modules" / ".bin" / "tsc"
    if shutil.which("node") is None:
        pytest.skip("node not found: the extension's type check needs Node.js 20+ (`make setup` installs the rest)")
    assert tsc.exists(), "node_modules/.bin/tsc is missing: run `npm ci` (or `make setup`)"
    result = _run([str(tsc), "-b", "--force", "extension"])
    assert result.returncode == 0, f"tsc found type errors in extension/:\n{result.stdout}{result.stderr}"


API_TYPES = ROOT / "extension" / "types" / "api.d.ts"
NOT_STRUCTS = {"KnowledgeMap", "ExtensionSettings"}  # documented shapes with no msgspec struct behind them


def _interfaces(text: str) -> dict[str, dict[str, str]]:
    """interface name → {field: its declaration after the colon, with "?" first when optional}."""
    out = {}
    for name, body in re.findall(r"^interface (\w+) \{\n(.*?)^\}", text, flags=re.M | re.S):
        fields = re.findall(r"^  (\w+)(\??): ([^;]+);", body, flags=re.M)
        out[name] = {field: optional + decl for field, optional, decl in fields}
    return out


def _structs() -> dict[str, type]:
    from api.http import schemas
    from model import report as report_model

    names = ["SiteSummary", "Grade", "Counts", "Signal", "SummaryFinding", "SummaryProduct", "RuleReference",
             "CompanyTrackers", "DeclaredSentence"]
    structs = {name: getattr(report_model, name) for name in names}
    structs |= {name: getattr(schemas, name) for name in ["JobView", "JobList", "CrawlAccepted", "ErrorBody", "ErrorDetail"]}
    return structs


def test_extension_payload_types_match_the_api_structs():
    """extension/types/api.d.ts declares the service's JSON as msgspec writes it: the same fields, optional
    only where the struct omits defaults, nullable exactly where the struct's field can be None."""
    declared = _interfaces(API_TYPES.read_text(encoding="utf-8"))
    structs = _structs()
    assert set(declared) - NOT_STRUCTS == set(structs), "api.d.ts interfaces and the structs they mirror differ"
    problems = []
    for name, cls in structs.items():
        hints = typing.get_type_hints(cls)
        omits = cls.__struct_config__.omit_defaults
        expected = {f.encode_name: f for f in msgspec.structs.fields(cls)}
        fields = declared[name]
        if set(fields) != set(expected):
            problems.append(f"{name}: api.d.ts has {sorted(fields)}, the struct {sorted(expected)}")
            continue
        for field, info in expected.items():
            optional = fields[field].startswith("?")
            if optional != (omits and not info.required):
                problems.append(f"{name}.{field}: {'optional' if optional else 'required'} in api.d.ts, "
                                f"but msgspec {'may omit' if not optional else 'always writes'} it")
            nullable = type(None) in typing.get_args(hints[info.name])
            if nullable != bool(re.search(r"\bnull\b", fields[field])):
                problems.append(f"{name}.{field}: nullable is {nullable} in the struct, not in api.d.ts")
    assert not problems, "\n".join(problems)


def test_the_payload_check_reads_fields_and_sees_a_missing_one():
    # the parser above must not pass vacuously
    text = "interface Grade {\n  letter: string;\n  score?: number | null;\n}\n"
    assert _interfaces(text) == {"Grade": {"letter": "string", "score": "?number | null"}}
    assert _interfaces(API_TYPES.read_text(encoding="utf-8"))["SiteSummary"]["policy_url"] == "string | null"


# `… / "shared" / "seeds"`, `SHARED / "data"`, `SHARED.glob("opp115-dev/…")`, `shared_dir / "seeds"`
SHARED_USE = re.compile(r"""/\s*"shared"\s*/\s*"([\w.-]+)"|\bSHARED\s*/\s*"([\w.-]+)"|\bSHARED\.glob\("([\w.-]+)/"""
                        r'|\bshared_dir\s*/\s*"([\w.-]+)"')


def shared_inputs_used() -> dict[str, set[str]]:
    """`../shared/<name>` → the files under tests/ and bench/ that read it."""
    used: dict[str, set[str]] = {}
    for path in sorted([*ROOT.glob("tests/**/*.py"), *ROOT.glob("bench/*.py")]):
        if path == Path(__file__).resolve():
            continue  # this file's own examples
        for groups in SHARED_USE.findall(path.read_text(encoding="utf-8")):
            name = next(g for g in groups if g)
            used.setdefault(name, set()).add(str(path.relative_to(ROOT)))
    return used


def test_the_readme_lists_every_shared_input_the_tests_and_benches_read():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    used = shared_inputs_used()
    assert {"seeds", "data", "opp115-dev"} <= set(used), used  # the finder must see the known ones
    missing = {name: sorted(files) for name, files in used.items() if f"`../shared/{name}" not in readme}
    assert not missing, f"README.md's ../shared table does not list: {missing}"
