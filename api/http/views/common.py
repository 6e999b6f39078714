"""Small helpers the views share: JSON responses, links, query-parameter parsing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec
from aiohttp import web

from ...errors import BadRequestError
from ..keys import CONFIG

_encode = msgspec.json.Encoder().encode


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(body=_encode(data), status=status, content_type="application/json", headers=headers)


def link(request: web.Request, path: str) -> str:
    base = request.app[CONFIG].public_url
    return f"{base.rstrip('/')}{path}" if base else path


def int_param(request: web.Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequestError(f"query parameter {name!r} must be an integer") from None
    if not low <= value <= high:
        raise BadRequestError(f"query parameter {name!r} must be between {low} and {high}")
    return value


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    return any(tag.strip().removeprefix("W/") == etag for tag in if_none_match.split(","))


def path_id(request: web.Request, not_found: Callable[[str], Exception]) -> int:
    """The route's ``{id}`` as a database id; anything else is that resource not found (not a 400:
    no such id can exist), said by ``not_found(message)``."""
    raw = request.match_info["id"]
    try:
        value = int(raw)
    except ValueError:
        raise not_found(repr(raw)) from None
    if not 0 < value < 2**62:
        raise not_found(str(value))
    return value
