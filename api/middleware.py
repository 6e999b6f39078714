"""Cross-cutting request handling: CORS, errors → JSON, per-client rate limits, bearer auth for writes.

Order (outermost first): cors → errors → rate limit → auth, so every answer, refusals included,
is JSON and carries CORS headers an extension can read.
"""

from __future__ import annotations

import logging
from typing import Awaitable, Callable

import msgspec
from aiohttp import web

from crawler.errors import InvalidDomainError

from .auth import authenticate
from .errors import RateLimitedError, ServiceError
from .keys import CONFIG, LIMITER, STORE
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


@web.middleware
async def cors_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    origin = request.headers.get("Origin")
    allowed = origin is not None and origin_allowed(origin, request.app[CONFIG].cors_origins)
    if request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
        response: web.StreamResponse = web.Response(status=204)
        if allowed:
            response.headers.update({"Access-Control-Allow-Methods": ALLOW_METHODS,
                                     "Access-Control-Allow-Headers": ALLOW_HEADERS,
                                     "Access-Control-Max-Age": "600"})
    else:
        response = await handler(request)
    response.headers["Vary"] = "Origin"
    if allowed:
        assert origin is not None
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Expose-Headers"] = EXPOSE_HEADERS
    return response


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except RateLimitedError as exc:
        return error_response(exc.status, exc.code, str(exc), {"Retry-After": str(max(1, round(exc.retry_after)))})
    except ServiceError as exc:
        headers = {"WWW-Authenticate": 'Bearer realm="consentwatch"'} if exc.status == 401 else None
        return error_response(exc.status, exc.code, str(exc), headers)
    except InvalidDomainError as exc:
        return error_response(400, "invalid_domain", str(exc))
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        code = {404: "not_found", 405: "method_not_allowed", 413: "too_large"}.get(exc.status, "http_error")
        response = error_response(exc.status, code, exc.reason if exc.status != 413 else exc.text or exc.reason)
        if exc.status == 405 and "Allow" in exc.headers:
            response.headers["Allow"] = exc.headers["Allow"]
        return response
    except Exception:  # noqa: BLE001 - the client gets a JSON 500; the traceback goes to the log
        log.exception("unhandled error in %s %s", request.method, request.path)
        return error_response(500, "internal_error", "internal error; see the service log")


@web.middleware
async def rate_limit_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    wait = request.app[LIMITER].take(request.remote or "?")
    if wait:
        raise RateLimitedError("too many requests from this client; slow down", wait)
    return await handler(request)


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    # Reads are public; every write needs a bearer token.
    if request.method not in READ_METHODS:
        await authenticate(request.app[STORE], request.headers.get("Authorization"))
    return await handler(request)


MIDDLEWARES = [cors_middleware, error_middleware, rate_limit_middleware, auth_middleware]
