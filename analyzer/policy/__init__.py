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
- A platform's name with a kind of product next to it names that product ("Facebook + Instagram
  conversion pixel" → Meta Pixel, "Facebook 'like' buttons", "Like-Button von Facebook" → social
  plugins); a platform named as a place where the site's ads run ("ads on Facebook and
  Instagram", "Anzeigen auf LinkedIn", "Instagram-Werbung") declares nothing.
- DNT/GPC: a present-tense refusal ("we do not currently respond …; we may revisit once a
  standard exists"), the same practice whatever the signal ("regardless of DNT", "has no
  effect") and no means to read it ("not configured to detect") are ``does_not_honor``; a
  negated refusal ("we will not ignore") and a commitment phrased as behaviour ("if your browser
  sends DNT, we treat your visit as if you declined …") are ``honors``; "may not respond",
  "cannot guarantee", a commitment resting on effort or feasibility ("we try to … where
  technically possible"), or a refusal softened in the same sentence is ``unclear``, as is a
  bare mention.
- Sale (for CCPA/CPRA purposes): the opt-out link text, affirmative CCPA wording ("may be
  considered a sale"), a disclosure list or table of what was sold or shared, or sharing with
  advertising partners ("we do not sell, but we share identifiers for cross-context behavioural
  advertising"; "no one pays us, however we disclose browsing data to ad networks") is
  ``sells_or_shares`` and outweighs a denial (kept as ``outweighed``); a denial counts only when
  what is not sold is data. A disclosure table answering "no"/"none"/"—" in every row of its
  sold/shared column is a denial; tables are read delimited or one cell per line, as the crawler's
  text extraction writes HTML tables, in either orientation (``sale_tables.py``).
- Stances in German, French, Spanish, Italian, Dutch, Portuguese and Polish (the other languages
  policy discovery supports) are read from ``stance_languages.yaml`` by ``languages.py``; a
  sentence goes to the language whose function words it holds most, English keeping its own reader.
"""

from analyzer.policy.analyze import analyze_policy
from model.policy import Declaration, PolicyAnalysis, Stance

__all__ = ["Declaration", "PolicyAnalysis", "Stance", "analyze_policy"]
