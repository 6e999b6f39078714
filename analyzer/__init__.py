"""consentwatch analyzer: what a policy declares vs what a site loads, as findings with evidence."""

from .audit import analyze_capture

__all__ = ["analyze_capture"]
