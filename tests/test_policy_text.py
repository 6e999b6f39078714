"""Policy text analysis on short hand-written texts: declarations, denials, non-declarations,
every stance value, dates, cookie categories, serialisation."""

from __future__ import annotations

import msgspec
import pytest

from analyzer.knowledge import load_knowledge
from analyzer.policy import PolicyAnalysis, analyze_policy
from analyzer.policy.sentences import default_segmenter


@pytest.fixture(scope="module")
def kb():
    return load_knowledge()


def analyze(text: str, kb, **kwargs) -> PolicyAnalysis:
    return analyze_policy(text, knowledge=kb, **kwargs)


def ids(declarations) -> set[str]:
    return {d.product_id or d.company_id or d.category for d in declarations}


# --- declarations --------------------------------------------------------------------------


def test_product_declaration_carries_product_company_category_and_sentence(kb):
    text = "Cookies help us. We use Google Analytics to understand how visitors use the site."
    a = analyze(text, kb)
    (d,) = a.declarations
    assert (d.level, d.product_id, d.company_id, d.category) == ("product", "google-analytics", "google", "analytics")
    assert d.name_in_text == "Google Analytics"
    assert d.sentence == "We use Google Analytics to understand how visitors use the site."
    assert d.source == "privacy_policy" and not d.negated
    assert a.negations == []


def test_company_level_declarations(kb):
    a = analyze("We share limited information with Google and Facebook for marketing.", kb)
    assert {(d.level, d.company_id) for d in a.declarations} == {("company", "google"), ("company", "meta")}
    assert a.third_party_reference_level == "named"


def test_names_match_whatever_the_case_of_the_later_words_and_line_wrapping(kb):
    a = analyze("Third-party cookies we use:\n• Google analytics\n• GOOGLE TAG MANAGER\n", kb)
    assert ids(a.declarations) == {"google-analytics", "google-tag-manager"}
    b = analyze("We rely on Google\nAnalytics for statistics.", kb)
    assert ids(b.declarations) == {"google-analytics"}


def test_lower_case_words_and_domains_are_not_vendor_names(kb):
    text = "For clarity, a segment of our users is measured. Write to privacy@google.com or see www.google.com/policies."
    assert analyze(text, kb).declarations == []


def test_ordinary_word_names_count_only_in_running_text(kb):
    assert ids(analyze("We use Segment to route events and share data with Meta.", kb).declarations) == {"segment", "meta"}
    assert analyze("Market Segment Report\nSegment information is aggregated.", kb).declarations == []


@pytest.mark.parametrize(
    "text, negated_id",
    [
        ("We do not use the Facebook Pixel on this site.", "meta-pixel"),
        ("We don't share data with Google.", "google"),
        ("We never sell or share your information with Criteo.", "criteo"),
        ("Hotjar is not used on our website.", "hotjar"),
        ("We have not enabled Google AdSense on our site.", "google-adsense"),
    ],
)
def test_denials_are_negations_not_declarations(kb, text, negated_id):
    a = analyze(text, kb)
    assert a.declarations == []
    assert [(d.product_id or d.company_id, d.negated) for d in a.negations] == [(negated_id, True)]


def test_denial_does_not_reach_past_a_clause_break_or_an_exception(kb):
    a = analyze("We do not use the Facebook Pixel, but we use Google Analytics.", kb)
    assert ids(a.declarations) == {"google-analytics"} and ids(a.negations) == {"meta-pixel"}
    b = analyze("We do not share personal information with third parties other than Google Analytics.", kb)
    assert ids(b.declarations) == {"google-analytics"} and b.negations == []


def test_restrictions_on_a_vendor_are_not_denials(kb):
    a = analyze("We do not allow Google to use your data for its own advertising.", kb)
    assert ids(a.declarations) == {"google"} and a.negations == []
    b = analyze("We do not allow our service providers to use your personal information for other purposes.", kb)
    assert b.declared_categories() == {"functional"} and b.negations == []
    c = analyze("We do not allow advertising networks on our site.", kb)
    assert [d.category for d in c.negations] == ["advertising"]


def test_reader_conditionals_are_not_denials(kb):
    a = analyze("If you do not want Google Analytics to collect your data, install the opt-out add-on.", kb)
    assert ids(a.declarations) == {"google-analytics"} and a.negations == []


@pytest.mark.parametrize(
    "text",
    [
        "Follow us on Twitter, Facebook and Instagram for news.",
        "You can block cookies in Google Chrome, Microsoft Edge, Internet Explorer or Apple Safari.",
        "Download our app from the Apple App Store or Google Play.",
        "Flash cookies can be managed in Adobe Flash Player settings.",
        "Our site contains links to other websites, such as Facebook or YouTube.",
        "This policy does not cover third-party sites linked from ours, including Facebook and Twitter.",
        "We have been awarded the TRUSTe privacy seal.",
        "If we have not resolved your complaint, you may contact TRUSTe.",
    ],
)
def test_non_declarations(kb, text):
    a = analyze(text, kb)
    assert a.declarations == [] and a.negations == []


def test_opt_out_how_to_declares_the_vendor(kb):
    # The site would not explain opting out of a vendor it does not use.
    text = "To opt out of Google Analytics, install the Google Analytics Opt-out Browser Add-on."
    assert ids(analyze(text, kb).declarations) == {"google-analytics"}


def test_social_login_declares_the_provider_company(kb):
    a = analyze("You can register or log in with your Facebook or Google account.", kb)
    assert {d.company_id for d in a.declarations} == {"meta", "google"}


def test_declarations_are_one_per_id_and_cite_exact_sentences(kb):
    text = "We use Hotjar heatmaps. Hotjar records clicks.\nWe also use Hotjar surveys."
    a = analyze(text, kb)
    assert [d.product_id for d in a.declarations] == ["hotjar"]
    assert a.declarations[0].sentence == "We use Hotjar heatmaps."
    assert all(d.sentence in text for d in a.declarations)


# --- categories and third-party reference level ---------------------------------------------


def test_category_mentions(kb):
    text = (
        "We work with third-party analytics providers and advertising partners. Pages include "
        "social media plugins. Our service providers host the site. We use a tag management system."
    )
    a = analyze(text, kb)
    assert a.declared_categories() == {"analytics", "advertising", "social", "functional", "tag-manager"}
    assert all(d.level == "category" and not d.negated for d in a.category_mentions)
    assert a.third_party_reference_level == "characterized_only"


def test_negated_category(kb):
    a = analyze("We do not work with advertising networks.", kb)
    assert a.category_mentions == []
    assert [(d.level, d.category) for d in a.negations] == [("category", "advertising")]


def test_your_internet_service_provider_is_not_a_category(kb):
    assert analyze("Your internet service provider assigns your IP address.", kb).category_mentions == []


@pytest.mark.parametrize(
    "text, level",
    [
        ("We may share your information with third parties.", "unnamed_only"),
        ("We do not disclose personal information outside of Acme.", "unnamed_only"),
        ("We store your order to ship it.", "none"),
    ],
)
def test_reference_levels_without_names_or_categories(kb, text, level):
    assert analyze(text, kb).third_party_reference_level == level


# --- Do Not Track ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, value",
    [
        ("We honor Do Not Track signals and do not track you when DNT is enabled.", "honors"),
        ("When your browser sends a Do Not Track signal, we treat it as a request to opt out.", "honors"),
        ('We do not respond to browser "do not track" signals.', "does_not_honor"),
        ("We currently take no action to respond to Do Not Track signals.", "does_not_honor"),
        (
            'Some browsers send "do not track" signals. There is no standard for them. '
            "The site currently does not take action in response to these signals. If a standard is "
            "established, we may revisit our policy on responding to these signals.",
            "does_not_honor",
        ),
        ("Our websites may not recognize or respond to Do Not Track signals.", "unclear"),
        ("We do not currently respond to Do Not Track signals, but may do so in the future.", "unclear"),
        ("See Online Tracking for more information, including Do Not Track.", "unclear"),
        ("We do not currently recognize or respond to browser-initiated DNT signals.", "does_not_honor"),
        ("We do not alter our data collection practices when we receive a DNT signal.", "does_not_honor"),
        ("Our systems are not configured to recognize Do Not Track signals.", "does_not_honor"),
        ("We ignore Do Not Track signals.", "does_not_honor"),
        (
            "Do Not Track Disclosure\nSome browsers incorporate a Do Not Track feature. Because there is not yet "
            "a consensus on how companies should respond, we do not respond to DNT signals.",
            "does_not_honor",
        ),
        ("We respect Do Not Track settings.", "honors"),
        ("When we detect a DNT signal, we disable third-party tracking.", "honors"),
        ("Where a Do Not Track signal is detected, we will not load advertising cookies.", "honors"),
        ("We can confirm that we honor Do Not Track signals.", "honors"),
        ("We cannot guarantee that Do Not Track signals will be honored.", "unclear"),
        ("Do not track signals sent by your browser are not honored by our site.", "does_not_honor"),
        ("DO NOT TRACK: WE DO NOT RESPOND TO BROWSER SIGNALS.", "does_not_honor"),
        ("We do not track you across third-party websites.", "silent"),
        ("We use cookies to remember your preferences.", "silent"),
    ],
)
def test_dnt_stance(kb, text, value):
    stance = analyze(text, kb).dnt
    assert stance.value == value
    assert (stance.evidence == []) == (value == "silent")
    assert all(e in text for e in stance.evidence)


def test_dnt_law_description_alone_is_not_honoring(kb):
    law = "California law requires us to disclose how we respond to Do Not Track signals."
    assert analyze(law, kb).dnt.value == "unclear"
    refusal = law + " We do not respond to such signals."
    stance = analyze(refusal, kb).dnt
    assert stance.value == "does_not_honor" and stance.evidence == ["We do not respond to such signals."]


# --- Global Privacy Control ------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, value",
    [
        ("We honor Global Privacy Control (GPC) signals as a valid request to opt out of sharing.", "honors"),
        ("If your browser sends an opt-out preference signal, we process it as an opt-out request.", "honors"),
        ("We recognize the GPC signal and treat it as a request to opt out of the sale of your data.", "honors"),
        ("You may use an opt-out preference signal, such as the Global Privacy Control, to opt out of sharing.", "honors"),
        ("We do not currently recognize the Global Privacy Control.", "does_not_honor"),
        ("Our website does not respond to GPC signals at this time.", "does_not_honor"),
        ("We may not be able to respond to GPC signals on every browser.", "unclear"),
        ("Learn more about Global Privacy Control at globalprivacycontrol.org.", "unclear"),
        ("We honor Do Not Track signals.", "silent"),
    ],
)
def test_gpc_stance(kb, text, value):
    assert analyze(text, kb).gpc.value == value


# --- sale -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, value",
    [
        ("We do not sell your personal information.", "does_not_sell"),
        ("We don't rent or sell personal information to third parties.", "does_not_sell"),
        ("Your personal data will never be sold to anyone.", "does_not_sell"),
        ("We are not in the business of selling information about our customers.", "does_not_sell"),
        ("We may sell or share personal information for cross-context behavioral advertising.", "sells_or_shares"),
        ("Sharing with ad partners may be considered a sale under the CCPA.", "sells_or_shares"),
        ("To opt out, click Do Not Sell or Share My Personal Information in the footer.", "sells_or_shares"),
        ("We do not sell products or services to children.", "silent"),
        ("You may not sell content you obtain from this site.", "silent"),
        ("If we sell our business, your data may be transferred to the buyer.", "silent"),
    ],
)
def test_sale_stance(kb, text, value):
    stance = analyze(text, kb).sale
    assert stance.value == value
    assert (stance.evidence == [text]) == (value != "silent")


def test_opt_out_link_outweighs_a_denial(kb):
    text = "We do not sell your personal information. Visit Do Not Sell My Personal Information to opt out."
    assert analyze(text, kb).sale.value == "sells_or_shares"


# --- dates ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, date",
    [
        ("Privacy Policy\nLast updated: July 3rd, 2019\nWe respect you.", "2019-07-03"),
        ("Last Updated:\n14 January 2015\n", "2015-01-14"),
        ("Effective Date: 01/15/2021\nThis policy explains...", "2021-01-15"),
        ("This Privacy Policy, effective December 9, 2014, describes our practices.", "2014-12-09"),
        # An older "Updated" line at the top and a newer footer: the newest wins.
        ("Updated July 3rd, 2019\nText.\nLast updated: July 2020", "2020-07"),
        # "Updated" outranks "effective"; a law's effective date is not the policy's.
        ("Effective as of March 1, 2018. Last revised on 2019-05-02.", "2019-05-02"),
        ("The CCPA, which is effective January 1st, 2020, gives you rights.", None),
        ("We keep your contact details updated.", None),
    ],
)
def test_policy_date(kb, text, date):
    assert analyze(text, kb).policy_date == date


# --- cookie policy --------------------------------------------------------------------------


COOKIE_POLICY = """Cookie Policy
Strictly necessary cookies keep you signed in.
Preference cookies remember your language.
Performance cookies tell us which pages are popular; we use Google Analytics for this.
Targeting cookies are set by our advertising partners.
Social media cookies are set by share buttons.
"""


def test_cookie_categories_and_declarations_from_a_separate_cookie_policy(kb):
    a = analyze("We use cookies as described in our Cookie Policy.", kb, cookie_policy_text=COOKIE_POLICY)
    assert a.cookie_categories == ["strictly-necessary", "functional", "analytics", "advertising", "social-media"]
    (ga,) = a.declarations
    assert (ga.product_id, ga.source) == ("google-analytics", "cookie_policy")
    assert {d.source for d in a.category_mentions} == {"cookie_policy"}


def test_cookie_table_rows_and_numbered_lists(kb):
    table = ("Type of Cookie Why We Use These Cookies\nPerformance These cookies help us measure use.\n"
             "Advertising These cookies deliver ads.\n")
    assert analyze("", kb, cookie_policy_text=table).cookie_categories == ["analytics", "advertising"]
    listed = "1. Operationally Necessary. We may use cookies to run the site.\n2. Analytics. We may use cookies to measure.\n"
    assert analyze(listed, kb).cookie_categories == ["strictly-necessary", "analytics"]


def test_denied_cookie_category_is_not_listed(kb):
    a = analyze("We use essential cookies. We do not use advertising cookies.", kb)
    assert a.cookie_categories == ["strictly-necessary"]


# --- plumbing -------------------------------------------------------------------------------


def test_sentence_splitting_keeps_abbreviations_and_exact_offsets():
    text = "We use e.g. Google Analytics. Acme Inc. shares data with U.S. partners!\n• Next item: here"
    sentences = default_segmenter().split(text)
    assert [text[s.start : s.end] for s in sentences] == [
        "We use e.g. Google Analytics.",
        "Acme Inc. shares data with U.S. partners!",
        "Next item: here",
    ]


def test_wrapped_lines_join_into_one_sentence():
    text = "you may request that we do not disclose your personal\ninformation to third parties."
    assert len(default_segmenter().split(text)) == 1


def test_analysis_round_trips_through_json(kb):
    a = analyze("Last updated: May 1, 2023. We use Google Analytics. We do not sell your data.", kb)
    decoded = msgspec.json.decode(msgspec.json.encode(a), type=PolicyAnalysis)
    assert decoded == a
    assert decoded.sale.value == "does_not_sell" and decoded.policy_date == "2023-05-01"


def test_empty_policy_is_silent(kb):
    a = analyze("", kb)
    assert (a.dnt.value, a.gpc.value, a.sale.value, a.third_party_reference_level) == ("silent", "silent", "silent", "none")
    assert a.declarations == [] and a.cookie_categories == [] and a.policy_date is None


def test_default_knowledge_is_the_packaged_one():
    assert ids(analyze_policy("We use Google Analytics.").declarations) == {"google-analytics"}


def test_one_sentence_can_refuse_dnt_and_honor_gpc(kb):
    a = analyze("We do not respond to Do Not Track signals, but we do honor Global Privacy Control signals.", kb)
    assert (a.dnt.value, a.gpc.value) == ("does_not_honor", "honors")


def test_refusal_in_the_clause_after_the_signal(kb):
    a = analyze("Some browsers offer a Do Not Track setting; we do not respond to these signals.", kb)
    assert a.dnt.value == "does_not_honor"


@pytest.mark.parametrize(
    "text, value",
    [
        ("In the preceding 12 months, we have not sold personal information.", "does_not_sell"),
        ("Categories of personal information sold: none.", "silent"),
        ("In the past 12 months we have sold the following categories of personal information: identifiers.", "sells_or_shares"),
        (
            "We do not sell personal information, and we do not share it for cross-context behavioral advertising.",
            "does_not_sell",
        ),
    ],
)
def test_ccpa_sale_disclosures(kb, text, value):
    assert analyze(text, kb).sale.value == value


@pytest.mark.parametrize(
    "text, declared, denied",
    [
        (
            "We use the following third-party services: Google Analytics 4, Google Tag Manager, Hotjar, and the Meta Pixel.",
            {"google-analytics", "google-tag-manager", "hotjar", "meta-pixel"},
            set(),
        ),
        ("Our website embeds YouTube videos and Google Maps.", {"youtube", "google-maps"}, set()),
        ("Payments are processed by Stripe.", {"stripe"}, set()),
        (
            "This site is protected by reCAPTCHA and the Google Privacy Policy and Terms of Service apply.",
            {"google-recaptcha", "google"},
            set(),
        ),
        ("Visit our Facebook page for news.", set(), set()),
        ("Neither Google nor Facebook receives your personal data from us.", set(), {"google", "meta"}),
        ("We neither sell nor share data with Criteo.", set(), {"criteo"}),
        ("We use TikTok Pixel; we do not use Snap Pixel.", {"tiktok-pixel"}, {"snap-pixel"}),
        # A lead-in ("follow us on") reaches the end of its clause, not of the sentence.
        ("Our newsletter is sent with Mailchimp, and you can follow us on Instagram.", {"mailchimp"}, set()),
    ],
)
def test_modern_declarations(kb, text, declared, denied):
    a = analyze(text, kb)
    assert ids(a.declarations) == declared
    assert ids(a.negations) == denied


def test_cookie_names_in_a_cookie_policy_declare_their_products(kb):
    table = "Name | Duration | Purpose\n_ga | 2 years | Distinguishes users.\n_fbp | 3 months | Advertising.\n"
    a = analyze("We use cookies.", kb, cookie_policy_text=table)
    assert {(d.product_id, d.name_in_text, d.source) for d in a.declarations} == {
        ("google-analytics", "_ga", "cookie_policy"),
        ("meta-pixel", "_fbp", "cookie_policy"),
    }


def test_cookie_name_prefixes_and_lookalikes(kb):
    assert ids(analyze("Cookies: _ga_ABC123 and _gat_* (Google tag).", kb).declarations) >= {"google-analytics"}
    # Only whole tokens, only distinctive names, case-sensitive.
    assert analyze("The PREF setting, our _gaming cookie and _GA are ours.", kb).declarations == []
