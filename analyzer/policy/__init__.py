"""Policy text analysis: what a privacy (and cookie) policy declares about third parties, its
Do Not Track / Global Privacy Control / sale stances, cookie categories and date.

    from analyzer.policy import analyze_policy
    analysis = analyze_policy(text, cookie_policy_text=None, knowledge=None)

Vendor names come from the knowledge base (``analyzer.knowledge``); all wording the analyzer
relies on (stance verbs, negation cues, non-declaration contexts, category phrases, cookie
categories, date shapes, trigger words) is data in ``vocabulary.yaml``.

Decisions the findings code can rely on:

- A product declaration also carries its ``company_id`` (and ``category``); company-level
  declarations carry no product. Cookie names a cookie policy lists ("_ga", "_fbp") declare
  their product.
- Browser/OS/app-store mentions ("Google Chrome", "Apple App Store"), the site's own social
  presence ("follow us on Twitter", "our Facebook page"), links out to other sites, scope
  statements ("this policy does not cover … Facebook"), privacy seals and complaint bodies
  (TRUSTe) and Flash how-tos (Adobe) are not declarations.
- Opt-out instructions for a vendor ("opt out of Google Analytics", "Google's ads settings")
  and social login ("log in with Facebook") are declarations: the site would not explain
  opting out of a vendor it does not use, and a login provider's SDK exchanges data with the page.
- The policy's own company is not recognised as first party: a policy by Google naming Google
  yields a Google declaration; findings know the site's owner and can discount it.
- DNT/GPC: a present-tense refusal ("we do not currently respond …; we may revisit once a
  standard exists") is ``does_not_honor``; "may not respond", "cannot guarantee", or a refusal
  softened in the same sentence ("… but may in the future") is ``unclear``, as is a bare mention.
- Sale: "Do Not Sell (or Share) My Personal Information" link text or affirmative CCPA wording
  outweighs a denial; a denial counts only when what is not sold is data.
"""

from analyzer.policy.analyze import analyze_policy
from analyzer.policy.model import Declaration, PolicyAnalysis, Stance

__all__ = ["Declaration", "PolicyAnalysis", "Stance", "analyze_policy"]
