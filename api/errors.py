"""Errors the service raises on purpose. The hierarchy, in one place:

    ConsentwatchError (crawler.errors)  base of every error this project raises on purpose
    └── ServiceError                    the service refused or could not do something
        ├── NotFoundError               no such thing in the store                  → 404
        │   ├── SiteNotFoundError       no audit stored for that domain
        │   ├── JobNotFoundError        no crawl job with that id
        │   └── ScheduleNotFoundError   no schedule with that name
        ├── BadRequestError             the request is malformed                    → 400
        ├── TargetRefusedError          SSRF guard: the domain resolves somewhere
        │                               private and is not allow-listed            → 403
        ├── AuthError                   missing or unknown bearer token             → 401
        ├── ConflictError               the operation clashes with current state    → 409
        ├── RateLimitedError            the client exceeded its request rate        → 429
        └── StoreError                  the store is unusable (migration, corruption) → 500

``crawler.errors.InvalidDomainError`` (bad domain input) maps to 400 as well. Views map these to
HTTP in one place (``api.middleware.error_middleware``) so handlers only raise.
"""

from __future__ import annotations

from crawler.errors import ConsentwatchError


class ServiceError(ConsentwatchError):
    """Base of the service's errors; ``status`` and ``code`` are what the API answers."""

    status = 500
    code = "service_error"


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


class ConflictError(ServiceError):
    status = 409
    code = "conflict"


class RateLimitedError(ServiceError):
    status = 429
    code = "rate_limited"

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class StoreError(ServiceError):
    code = "store_error"
