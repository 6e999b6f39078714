"""HTTP handlers, one module per resource; they raise ``api.errors`` and the middleware maps them."""
