"""Cookie banners: autoconsent in every frame with a heuristic fallback, and the consent state readers.

``default_consent_handler()`` is what ``CrawlOptions`` installs for the ``reject`` and ``accept`` visits;
the consent-state collector (``state_collector``) is in ``DEFAULT_COLLECTORS`` and runs in every visit.
"""

from .handler import ConsentOperator, ConsentOptions, default_consent_handler
from .vocabulary import Vocabulary, load_vocabulary

__all__ = ["ConsentOperator", "ConsentOptions", "Vocabulary", "default_consent_handler", "load_vocabulary"]
