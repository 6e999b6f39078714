"""The root of every error consentwatch raises on purpose, and the whole tree in one place:

    ConsentwatchError                   base of every error this project raises on purpose (model.errors)
    ├── InvalidDomainError              the input is not a crawlable domain (CLI exit 2, API 400) (model.errors)
    ├── BrowserNotFoundError            no Chromium found by any of the three discovery ways (crawler.errors)
    ├── CrawlError                      a crawl could not run at all (browser crashed at launch, …) (crawler.errors)
    └── ServiceError                    the service refused or could not do something (api.errors)
        ├── NotFoundError               no such thing in the store                  → 404
        │   ├── SiteNotFoundError       no audit stored for that domain
        │   ├── JobNotFoundError        no crawl job with that id
        │   └── ScheduleNotFoundError   no schedule with that name
        ├── BadRequestError             the request is malformed                    → 400
        ├── TargetRefusedError          SSRF guard: the domain resolves somewhere
        │                               private and is not allow-listed            → 403
        ├── AuthError                   missing or unknown bearer token             → 401
        ├── ConflictError               the operation clashes with current state    → 409
        ├── NoSigningKeyError           no evidence signing key on the server      → 503
        ├── EvidenceUnavailableError    the evidence bundle would exceed its size cap → 503
        ├── RateLimitedError            the client exceeded its request rate        → 429 + Retry-After
        │   └── QueueFullError          its token's queue quota or the global queue cap is reached
        └── StoreError                  the store is unusable (migration, schema)   → 500
            ├── StoreCorruptError       the database file is damaged or not a database
            └── StoreUnavailableError   the store cannot answer now; try again     → 503 + Retry-After
                ├── StoreBusyError      the database is locked by another writer
                └── StoreFullError      the database or its disk is full

Each layer defines its own branch and subclasses this root; tests/test_model_contracts.py checks that this
drawing names every subclass in the source, under its real parent. An unreachable site is *not* an exception:
it yields a Capture with ``reachable=False`` and an ``error``, so that whatever was observed is kept.
"""


class ConsentwatchError(Exception):
    """Base of every error consentwatch raises on purpose."""


class InvalidDomainError(ConsentwatchError, ValueError):
    """The input is not a domain we can crawl."""
