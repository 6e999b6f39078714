"""consentwatch service: store, crawl jobs, schedules and the /v1 HTTP API (see docs/api.md).

    from api.http.app import create_app
    from api.service.config import ServiceConfig
    app = create_app(ServiceConfig(db="consentwatch.db"))
"""
