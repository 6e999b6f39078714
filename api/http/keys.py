"""Typed application keys: the resources ``create_app`` puts on the app for views to use."""

from __future__ import annotations

import jinja2
from aiohttp import web

from ..service.config import ServiceConfig
from ..service.jobs import JobRunner
from ..service.ratelimit import RateLimiter
from ..service.targets import TargetGuard
from ..store.base import Store, TokenInfo

CONFIG = web.AppKey("config", ServiceConfig)
STORE = web.AppKey("store", Store)
GUARD = web.AppKey("guard", TargetGuard)
LIMITER = web.AppKey("limiter", RateLimiter)
RUNNER = web.AppKey("runner", JobRunner)
TEMPLATES = web.AppKey("templates", jinja2.Environment)
OPENAPI = web.AppKey("openapi", bytes)

TOKEN = web.RequestKey("token", TokenInfo)  # the bearer token of a write request, once authenticated
