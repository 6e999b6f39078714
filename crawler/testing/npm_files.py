"""Real consent managers from npm, served to fixture sites under ``/npm/<package>/<file>``.

The packages (klaro, vanilla-cookieconsent, Osano's cookieconsent, tarteaucitron, orejime, the IAB
TCF/GPP libraries) are devDependencies in package.json, installed by ``make setup`` (``npm ci``) and
never committed. A site opts in with ``extra.serves_npm: true``. CMPs a site writes itself on the IAB
libraries (``sites/real_cmps/*.js``) are bundled by esbuild at setup into ``node_modules/.cmp-fixtures``,
as a site would ship them.
"""

from __future__ import annotations

import json
import mimetypes
from pathlib import Path

from aiohttp import web

from .routes import Handler

REPO = Path(__file__).resolve().parents[2]
NODE_MODULES = REPO / "node_modules"

# Only the consent managers are served: a fixture cannot reach into the rest of node_modules.
REAL_CMP_PACKAGES = (
    "klaro", "vanilla-cookieconsent", "cookieconsent", "tarteaucitronjs", "orejime",
    "@iabtcf/core", "@iabtcf/cmpapi", "@iabgpp/cmpapi",
    ".cmp-fixtures",  # the fixture sites' own CMP code bundled with those libraries (`make setup`)
)
PREFIX = "/npm/"


class NpmPackagesMissing(RuntimeError):
    pass


def missing_packages() -> list[str]:
    missing = [p for p in REAL_CMP_PACKAGES if p != ".cmp-fixtures" and not (NODE_MODULES / p / "package.json").is_file()]
    if not (NODE_MODULES / ".cmp-fixtures" / ".built").is_file():
        missing.append(".cmp-fixtures (bundled by `npm run build:cmp-fixtures`)")
    return missing


def require_packages() -> None:
    """Raise a clear error when the real-CMP packages are not installed."""
    missing = missing_packages()
    if missing:
        raise NpmPackagesMissing(
            f"real consent-manager packages not installed in {NODE_MODULES}: {', '.join(missing)}. "
            "Run `make setup` (or `npm ci`) in the repository root: they are devDependencies in package.json.")


def package_version(package: str) -> str:
    return json.loads((NODE_MODULES / package / "package.json").read_text())["version"]


def _resolve(path: str) -> Path | None:
    rel = path[len(PREFIX):]
    package = next((p for p in REAL_CMP_PACKAGES if rel.startswith(p + "/")), None)
    if package is None:
        return None
    root = (NODE_MODULES / package).resolve()
    target = (NODE_MODULES / rel).resolve()
    if root not in target.parents or not target.is_file():
        return None
    return target


async def serve(request: web.Request) -> web.StreamResponse:
    target = _resolve(request.path)
    if target is None:
        missing = missing_packages()
        note = f" (not installed: {', '.join(missing)}; run `make setup`)" if missing else ""
        return web.Response(status=404, text=f"{request.path}: no such file among the real CMP packages{note}")
    ctype = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
    if target.suffix in (".js", ".mjs"):
        ctype = "application/javascript"
    return web.Response(body=target.read_bytes(), content_type=ctype)


def handler() -> Handler:
    return serve
