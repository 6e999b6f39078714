"""``python -m api.cli``: the ``consentwatch`` command."""

from .main import main

main()
