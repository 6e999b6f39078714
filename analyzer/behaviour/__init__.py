"""What scripts did during the visits: fingerprinting, session recording, key logging, PII sent.

Reads the instrumentation (``Visit.api_calls``), the canaries typed (``Visit.canaries``) and the
requests with their bodies and initiators; thresholds are data (``analyzer/data/behaviour.yaml``).
Importing the package registers its finding producers (``findings``).
"""

from . import findings  # noqa: F401  (registers the producers)
from .detect import BehaviourReport, detect_behaviour

__all__ = ["BehaviourReport", "detect_behaviour"]
