"""The ``consentwatch`` command line (``main``: the console script, also ``python -m api.cli``)."""

from .main import main

__all__ = ["main"]
