"""The /v1 HTTP API: the aiohttp app (``app.create_app``), middleware, the route table, views and pages."""
