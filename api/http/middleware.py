"""Cross-cutting request handling: CORS, errors → JSON, per-client rate limits, bearer auth for writes.

Order: rate limit → auth → view, with errors mapped to JSON and CORS headers added around all of
it, so every answer, refusals included, is JSON that an extension can read.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import msgspec
from aiohttp import web

from model.errors import InvalidDomainError

from ..errors import RateLimitedError, ServiceError
from ..service.auth import authenticate
from .keys import CONFIG, LIMITER, STORE, TOKEN
from .schemas import ErrorBody, ErrorDetail

log = logging.getLogger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

EXTENSION_SCHEMES = ("chrome-extension://", "moz-extension://", "safari-web-extension://")
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
ALLOW_METHODS = "GET, HEAD, POST, DELETE, OPTIONS"
ALLOW_HEADERS = "Authorization, Content-Type, If-None-Match"
EXPOSE_HEADERS = "ETag, Location, Retry-After"

_encode = msgspec.json.Encoder().encode


def error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> web.Response:
    body = _encode(ErrorBody(error=ErrorDetail(code=code, message=message)))
    return web.Response(status=status, body=body, content_type="application/json", headers=headers)


def origin_allowed(origin: str, configured: tuple[str, ...]) -> bool:
    return origin.startswith(EXTENSION_SCHEMES) or origin in configured


def _error_response_for(request: web.Request, exc: BaseException) -> web.Response:
    """Map an exception to the JSON error answer (codes and statuses from ``api.errors``)."""
    if isinstance(exc, ServiceError):
        headers = {}
        if exc.retry_after is not None:
            headers["Retry-After"] = str(max(1, round(exc.retry_after)))
        if exc.status == 401:
            headers["WWW-Authenticate"] = 'Bearer realm="consentwatch"'
        return error_response(exc.status, exc.code, str(exc), headers)
    if isinstance(exc, InvalidDomainError):
        return error_response(400, "invalid_domain", str(exc))
    if isinstance(exc, web.HTTPException):
        code = {404: "not_found", 405: "method_not_allowed", 413: "too_large"}.get(exc.status, "http_error")
        response = error_response(exc.status, code, exc.reason if exc.status != 413 else exc.text or exc.reason)
        if exc.status == 405 and "Allow" in exc.headers:
            response.headers["Allow"] = exc.headers["Allow"]
        return response
    log.error("unhandled error in %s %s", request.method, request.path, exc_info=exc)
    return error_response(500, "internal_error", "internal error; see the service log")


def _preflight(allowed: bool) -> web.Response:
    response = web.Response(status=204)
    if allowed:
        response.headers.update({"Access-Control-Allow-Methods": ALLOW_METHODS,
                                 "Access-Control-Allow-Headers": ALLOW_HEADERS, "Access-Control-Max-Age": "600"})
    return response


@web.middleware
async def edge_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """CORS, rate limit, auth and errors → JSON, in one layer: the summary endpoint is hot, and
    each middleware layer costs a coroutine per request."""
    origin = request.headers.get("Origin")
    allowed = origin is not None and origin_allowed(origin, request.app[CONFIG].cors_origins)
    if request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
        response: web.StreamResponse = _preflight(allowed)
    else:
        try:
            wait = request.app[LIMITER].take(request.remote or "?")
            if wait:
                raise RateLimitedError("too many requests from this client; slow down", wait)
            if request.method not in READ_METHODS:  # reads are public; every write needs a bearer token
                request[TOKEN] = await authenticate(request.app[STORE], request.headers.get("Authorization"))
            response = await handler(request)
        except web.HTTPException as exc:
            if exc.status < 400:
                raise
            response = _error_response_for(request, exc)
        except Exception as exc:  # noqa: BLE001 - every failure becomes a JSON answer
            response = _error_response_for(request, exc)
    response.headers["Vary"] = "Origin"
    if allowed:
        assert origin is not None
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Expose-Headers"] = EXPOSE_HEADERS
    return response


MIDDLEWARES = [edge_middleware]
