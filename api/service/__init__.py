"""What the service does, whatever runs it (HTTP app, CLI, PostgreSQL worker): crawl jobs, schedules, the SSRF
guard, tokens, rate limits, history, export and evidence bundles. Imports neither ``api.http`` nor ``api.cli``."""
