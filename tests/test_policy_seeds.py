"""The five seed policies (../shared/seeds), with expectations written by reading each text.

000 Imperium Jets names Google Analytics and lists "Google Remarketing", "Youtube Remarketing",
"Facebook + Instagram Remarketing"/"Conversion pixel" as third-party cookies; a performance /
analytics / advertising cookie table; "We do not sell Personal Data"; no DNT statement; dated
"Updated July 3rd, 2019" at the top and "Last updated: July 2020" at the bottom.
001 Inper uses Google Analytics, Facebook "like"/"share" buttons; "We do not engage in cookie
swapping or the sale of cookies"; "We do not sell products … to children" is not a data claim.
002 JESI lists GOOGLE ANALYTICS under its service providers, offers Facebook/Google sign-on,
"may not recognize or take action in response to Do Not Track" (hedged), will not sell or rent.
003 JetHost Pro shares "with companies who conduct analytical and marketing suppression, such
as Google and Facebook" (companies only), does not sell, "updated June 27th, 2018".
004 Jet Express keeps backups with "our technology partner Amazon Web Services", names browsers
only in cookie how-tos, never sells, has necessary / analytics / advertising cookie uses."""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer.knowledge import load_knowledge
from analyzer.policy import PolicyAnalysis, analyze_policy

SEEDS = Path(__file__).resolve().parents[1].parent / "shared" / "seeds"

pytestmark = pytest.mark.skipif(not SEEDS.is_dir(), reason=f"needs the seed policies at {SEEDS} (../shared/seeds)")


def _analysis(prefix: str) -> PolicyAnalysis:
    (path,) = SEEDS.glob(f"{prefix}_*.txt")
    return analyze_policy(path.read_text(encoding="utf-8"), knowledge=load_knowledge())


@pytest.fixture(scope="module")
def seeds() -> dict[str, PolicyAnalysis]:
    return {prefix: _analysis(prefix) for prefix in ("000", "001", "002", "003", "004")}


def companies(a: PolicyAnalysis) -> set[str]:
    return a.declared_company_ids()


def products(a: PolicyAnalysis) -> set[str]:
    return a.declared_product_ids()


def test_000_imperium_jets(seeds):
    a = seeds["000"]
    assert {"google-analytics", "google-ads", "youtube", "meta-pixel"} <= products(a)
    # "Facebook + Instagram Remarketing" names Meta's remarketing product, not Instagram embeds (issue 13).
    assert "instagram-embed" not in products(a)
    assert companies(a) == {"google", "youtube", "meta"}
    assert any(d.product_id == "meta-pixel" and d.name_in_text == "Facebook + Instagram Remarketing" for d in a.declarations)
    assert a.negations == []
    assert {"analytics", "advertising", "functional"} <= a.declared_categories()
    assert (a.dnt.value, a.gpc.value) == ("silent", "silent")
    assert a.sale.value == "does_not_sell"
    assert a.sale.evidence == [
        "We do not sell Personal Data for any business or commercial purposes to any third parties and have not done so "
        "in the past 12 months."
    ]
    assert a.cookie_categories == ["analytics", "advertising"]
    assert a.policy_date == "2020-07"
    assert a.third_party_reference_level == "named"


def test_001_inper(seeds):
    a = seeds["001"]
    # "Facebook “like” or “share” buttons" are Facebook's social plugins, a product (issue 13).
    assert products(a) == {"google-analytics", "facebook-social-plugins"}
    assert companies(a) == {"google", "meta"}
    meta = next(d for d in a.declarations if d.company_id == "meta")
    assert meta.product_id == "facebook-social-plugins" and "like" in meta.sentence
    assert (a.dnt.value, a.gpc.value) == ("silent", "silent")
    assert a.sale.value == "does_not_sell"
    assert a.sale.evidence == ["We do not engage in “cookie swapping” or the sale of cookies to third parties."]
    assert a.policy_date is None
    assert a.third_party_reference_level == "named"


def test_002_jesi(seeds):
    a = seeds["002"]
    assert products(a) == {"google-analytics"}
    # Facebook/Google as single sign-on providers: company-level declarations (social login counts).
    assert companies(a) == {"google", "meta"}
    assert a.dnt.value == "unclear"
    assert a.dnt.evidence == [
        "Please note that our websites may not recognize or take action in response to Do Not Track and similar signals "
        "from browsers."
    ]
    assert a.gpc.value == "silent"
    assert a.sale.value == "does_not_sell"
    assert a.sale.evidence == ["We will not sell or rent your personal information to other companies."]
    # Cookie categories live in JESI's separate Cookies Policy, not in this text.
    assert a.cookie_categories == []
    assert a.policy_date is None


def test_003_jethost_names_companies_only(seeds):
    a = seeds["003"]
    assert products(a) == set()
    assert {(d.level, d.company_id) for d in a.declarations} == {("company", "google"), ("company", "meta")}
    assert all("such as Google and Facebook" in d.sentence for d in a.declarations)
    assert "advertising" in a.declared_categories()
    assert (a.dnt.value, a.gpc.value) == ("silent", "silent")
    assert a.sale.value == "does_not_sell"
    assert a.policy_date == "2018-06-27"


def test_004_jet_express_browsers_are_not_vendors(seeds):
    a = seeds["004"]
    # "Chrome, Safari, Edge, Internet Explorer, Firefox" in the cookie how-to declare nobody.
    assert companies(a) == {"amazon"}
    assert "Amazon Web Services" in a.declarations[0].sentence
    assert (a.dnt.value, a.gpc.value) == ("silent", "silent")
    assert a.sale.value == "does_not_sell" and len(a.sale.evidence) == 2
    assert a.cookie_categories == ["strictly-necessary", "analytics", "advertising"]
    assert a.policy_date is None


def test_every_seed_evidence_sentence_is_in_its_text(seeds):
    for prefix, a in seeds.items():
        (path,) = SEEDS.glob(f"{prefix}_*.txt")
        text = path.read_text(encoding="utf-8")
        quoted = [d.sentence for d in a.declarations + a.negations + a.category_mentions]
        quoted += a.dnt.evidence + a.gpc.evidence + a.sale.evidence
        assert quoted and all(q in text for q in quoted), prefix
