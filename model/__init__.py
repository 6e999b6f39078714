"""consentwatch's contracts: the data that crosses layers, with no browser and no web server in it.

- ``model.capture`` — what one crawl observed (the crawler fills it, the analyzer reads it)
- ``model.report`` — the audit report and the extension's summary (the analyzer builds them, the API serves them)
- ``model.errors`` — the root of the error tree (``ConsentwatchError``), drawn whole in its docstring
- ``model.domains`` — domain input, registrable domains (offline Public Suffix List), host helpers

Every layer may import this package; it imports none of them, nor Playwright or aiohttp
(tests/test_layering.py).
"""
