"""Errors the service raises on purpose: the ``ServiceError`` branch of the tree drawn in ``model.errors``.

``model.errors.InvalidDomainError`` (bad domain input) maps to 400 as well. Views map these to
HTTP in one place (``api.http.middleware.edge_middleware``) so handlers only raise. An error with a
``retry_after`` (seconds) is answered with a ``Retry-After`` header.
"""

from __future__ import annotations

import errno
import sqlite3

from model.errors import ConsentwatchError

DISK_FULL_ERRNOS = (errno.ENOSPC, errno.EDQUOT)
DISK_FULL_WORDS = ("no space left on device", "database or disk is full", "disk quota exceeded")


class ServiceError(ConsentwatchError):
    """Base of the service's errors; ``status`` and ``code`` are what the API answers."""

    status = 500
    code = "service_error"
    retry_after: float | None = None


class NotFoundError(ServiceError):
    status = 404
    code = "not_found"


class SiteNotFoundError(NotFoundError):
    code = "site_not_found"


class JobNotFoundError(NotFoundError):
    code = "job_not_found"


class ScheduleNotFoundError(NotFoundError):
    code = "schedule_not_found"


class BadRequestError(ServiceError):
    status = 400
    code = "bad_request"


class TargetRefusedError(ServiceError):
    status = 403
    code = "target_refused"


class AuthError(ServiceError):
    status = 401
    code = "unauthorized"


class NoSigningKeyError(ServiceError):
    status = 503
    code = "no_signing_key"


class EvidenceUnavailableError(ServiceError):
    status = 503
    code = "evidence_unavailable"


class ConflictError(ServiceError):
    status = 409
    code = "conflict"


class RateLimitedError(ServiceError):
    status = 429
    code = "rate_limited"

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class QueueFullError(RateLimitedError):
    code = "queue_full"


class StoreError(ServiceError):
    code = "store_error"


class StoreCorruptError(StoreError):
    code = "store_corrupt"


class StoreUnavailableError(StoreError):
    status = 503
    code = "store_unavailable"

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class StoreBusyError(StoreUnavailableError):
    code = "store_busy"


class StoreFullError(StoreUnavailableError):
    code = "store_full"


def disk_full(exc: BaseException) -> bool:
    """Whether ``exc`` (or what caused it) is a full disk or database: then retrying cannot help until an
    operator makes room. Only the OS's and SQLite's own errors count: a browser error's text can be
    written by the crawled page, so it never decides this."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, StoreFullError):
            return True
        if isinstance(current, OSError) and current.errno in DISK_FULL_ERRNOS:
            return True
        if isinstance(current, (OSError, sqlite3.Error)) and any(w in str(current).lower() for w in DISK_FULL_WORDS):
            return True
        current = current.__cause__ or current.__context__
    return False
