"""Policy text analysis: what a privacy (and cookie) policy declares about third parties, its
Do Not Track / Global Privacy Control / sale stances, cookie categories and date."""

from analyzer.policy.analyze import analyze_policy
from analyzer.policy.model import Declaration, PolicyAnalysis, Stance

__all__ = ["Declaration", "PolicyAnalysis", "Stance", "analyze_policy"]
