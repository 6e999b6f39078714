"""What scripts did during the visits: fingerprinting, session recording, key logging, PII sent.

Reads the instrumentation (``Visit.api_calls``), the canaries typed (``Visit.canaries``) and the
requests with their bodies and initiators; thresholds are data (``analyzer/data/behaviour.yaml``).
Its finding producers (``findings``) run from ``analyzer/producers.py``'s ``PRODUCERS``.
"""

from .detect import BehaviourReport, detect_behaviour

__all__ = ["BehaviourReport", "detect_behaviour"]
