"""Bearer tokens for writes: made once, shown once, stored only as a SHA-256 hash."""

from __future__ import annotations

import hashlib
import secrets
import time

from ..errors import AuthError
from ..store.base import Store, TokenInfo

PREFIX = "cw_"


def new_token() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create_token(store: Store, name: str) -> tuple[str, TokenInfo]:
    token = new_token()
    return token, await store.add_token(name, token_hash(token), time.time())


def bearer_of(header: str | None) -> str:
    scheme, _, value = (header or "").partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise AuthError("this request needs a bearer token: Authorization: Bearer <token> "
                        "(create one with `consentwatch token create NAME`)")
    return value.strip()


async def authenticate(store: Store, header: str | None) -> TokenInfo:
    token = bearer_of(header)
    info = await store.token_by_hash(token_hash(token))
    if info is None or info.revoked_at is not None:
        raise AuthError("unknown or revoked token")
    await store.touch_token(info.id, time.time())
    return info
