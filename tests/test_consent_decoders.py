"""Consent-string decoders against the specs' own test vectors (IAB TCF v2, GPP, US Privacy), Google
Consent Mode parameters, OneTrust's cookie, and the banner vocabulary. No browser needed."""

from __future__ import annotations

import pytest

from analyzer.consent import (
    DecodeError,
    decode_gpp,
    decode_optanon,
    decode_tc_string,
    decode_usnat,
    decode_usp,
    google_hit,
)
from crawler.consent.vocabulary import BUTTON_KINDS, load_vocabulary, normalise

# IAB TCF v2 vectors (iabtcf reference decoder tests; the first made with the IAB's own encoder).
TC_BASIC = "COtybn4PA_zT4KjACBENAPCIAEBAAECAAIAAAAAAAAAA"
TC_VENDORS = "COrEAV4OrXx94ACABBENAHCIAD-AAAAAAACAAxAAAAgAIAwgAgAAAAEAgQAAAAAEAYQAQAAAACAAAABAAA"
TC_SEGMENTS = TC_VENDORS + ".IBAgAAAgAIAwgAgAAAAEAAAACA.QAagAQAgAIAwgA"
TC_PUBLISHER = TC_SEGMENTS + ".cAAAAAAAITg="
TC_LI_RANGE = "COv__-wOv__-wC2AAAENAPCgAAAAAAAAAAAAA_wAQA_gEBABAEAAAA"
TC_TWO_RANGES = ("COwBOpCOwBOpCLqAAAENAPCAAAAAAAAAAAAAFfwAYFfAV-BVkAGBVYFWAAA."
                 "IFoEUQQgAIQwgIwQABAEAAAAOIAACAIAAAAQAIAgEAACEAAAAAgAQ"
                 "BAAAAAAAGBAAgAAAAAAAFAAECAAAgAAQARAEQAAAAAJAAIAAgAAAYQEAAAQmAgBC3ZAYzUw")
TC_ONE_RANGE = ("COwBOpCOwBOpCLqAAAENAPCAAAAAAAAAAAAAFfwAQFfgUbABAUaAAA."
                "IFoEUQQgAIQwgIwQABAEAAAAOIAACAIAAAAQAIAgEAACEAAAAAgAQBAAAA"
                "AAAGBAAgAAAAAAAFAAECAAAgAAQARAEQAAAAAJAAIAAgAAAYQEAAAQmAgBC3ZAYzUw")


def test_tcf_core_fields():
    tc = decode_tc_string(TC_BASIC)
    assert (tc.version, tc.created, tc.last_updated) == (2, "2020-01-26T17:01:00Z", "2021-02-02T17:01:00Z")
    assert (tc.cmp_id, tc.cmp_version, tc.consent_screen, tc.vendor_list_version, tc.policy_version) == (675, 2, 1, 15, 2)
    assert (tc.consent_language, tc.publisher_cc) == ("EN", "AA")
    assert not tc.is_service_specific and tc.purpose_one_treatment and not tc.use_non_standard_texts
    assert tc.special_feature_optins == [1]
    assert tc.purpose_consents == [2, 10] and tc.purpose_legitimate_interests == [2, 9]


def test_tcf_vendor_bitfields_and_segments():
    tc = decode_tc_string(TC_VENDORS)
    assert tc.purpose_consents == [3, 4, 5, 6, 7, 8, 9]
    assert tc.vendor_consents == [23, 37, 47, 48, 53, 65, 98]
    assert tc.vendor_legitimate_interests == [37, 47, 48, 53, 65, 98, 129]
    tc = decode_tc_string(TC_SEGMENTS)
    assert tc.allowed_vendors == [12, 23, 37, 47, 48, 53]
    assert tc.disclosed_vendors == [23, 37, 47, 48, 53, 65, 98, 129]
    assert len(decode_tc_string(TC_PUBLISHER).publisher_purpose_consents) == 1


def test_tcf_range_encoding():
    assert decode_tc_string(TC_LI_RANGE).vendor_legitimate_interests == [128]
    assert decode_tc_string(TC_TWO_RANGES).vendor_consents == [702, 703]
    assert decode_tc_string(TC_ONE_RANGE).vendor_consents == [703]
    assert decode_tc_string("COwxsONOwxsONKpAAAENAdCAAMAAAAAAAAAAAAAAAAAA").purpose_consents[:2] == [1, 2]


@pytest.mark.parametrize("bad", ["", "BOEFEAyOEFEAyAHABDENAI4AAAB9vABAASA", "not a tc string!", "CO"])
def test_tcf_refuses_what_is_not_a_v2_string(bad):
    with pytest.raises(DecodeError):
        decode_tc_string(bad)


def test_usp_strings():
    assert decode_usp("1YNN").opted_out_of_sale is False
    assert decode_usp("1yyn").opted_out_of_sale is True
    assert decode_usp("1---").opted_out_of_sale is None
    for bad in ("2YNN", "1YN", "1ABC", ""):
        with pytest.raises(DecodeError):
            decode_usp(bad)


# GPP vectors from the IAB GPP reference library's tests.
def test_gpp_headers_and_sections():
    assert decode_gpp("DBAA").section_ids == []
    only_usp = decode_gpp("DBABTA~1YNN")
    assert only_usp.section_ids == [6] and only_usp.uspv1.opted_out_of_sale is False
    both = decode_gpp("DBACNYA~CPSG_8APSG_8ANwAAAENAwCAAAAAAAAAAAAAAAAAAAAA.QAAA.IAAA~1YNN")
    assert both.section_ids == [2, 6] and both.sections == ["tcfeuv2", "uspv1"]
    tc = both.tcfeuv2
    assert (tc.cmp_id, tc.vendor_list_version, tc.policy_version, tc.consent_language,
            tc.publisher_cc) == (880, 48, 2, "EN", "AA")
    assert tc.created == "2022-01-01T00:00:00Z"
    many = decode_gpp("DBACOdM~CPSG_8APSG_8AAAAAAENAACAAAAAAAAAAAAAAAAAAAAA.QAAA.IAAA~"
                      "BPSG_8APSG_8AAAAAAENAACAAAAAAAAAAAAAAAAAAA.YAAAAAAAAAA~"
                      "1---~BAAAAAAAAABA.QA~BAAAAABA.QA~BAAAABA~BAAAAEA.QA~BAAAAAQA~BAAAAAEA.QA~BAAAAABA~BAAAAABA.QA~BAAAAAABAA.QA~"
                      "BAAAAAQA.QA~BAAAAAABAA.QA~BAAAAAQA.QA~BAAAAAQA.QA~BAAAAABA.QA~BAAAAAAAQA.QA~BAAAAAQA.QA")
    assert many.section_ids == [2, 5, *range(6, 23)]
    assert many.sections[:4] == ["tcfeuv2", "tcfcav1", "uspv1", "usnat"] and not many.errors
    with pytest.raises(DecodeError):
        decode_gpp("DBABTA~1YNN~1YNN")  # the header lists one section, the string has two


def test_gpp_usnat_fields():
    usnat = decode_usnat("BbbbGxsbFbA.YA")
    assert (usnat.sharing_notice, usnat.sale_opt_out_notice, usnat.sharing_opt_out_notice) == (1, 2, 3)
    assert (usnat.targeted_advertising_opt_out_notice, usnat.sensitive_data_processing_opt_out_notice,
            usnat.sensitive_data_limit_use_notice) == (1, 2, 3)
    assert (usnat.sale_opt_out, usnat.sharing_opt_out, usnat.targeted_advertising_opt_out) == (1, 2, 3)
    assert usnat.sensitive_data_processing == [0, 1, 2, 3] * 3
    assert usnat.known_child_sensitive_data_consents == [0, 1] and usnat.personal_data_consents == 1
    assert (usnat.mspa_covered_transaction, usnat.mspa_opt_out_option_mode, usnat.mspa_service_provider_mode) == (1, 2, 3)
    assert usnat.gpc is True
    assert decode_usnat("BbbbGxsbFbA").gpc is None  # no GPC subsection
    assert "sale opted out" in decode_usnat("BVQVAAAAAUA.YA").summary()


@pytest.mark.parametrize("url, product, granted, denied", [
    ("https://region1.google-analytics.com/g/collect?v=2&tid=G-1&gcs=G100&gcd=13p3p3p3p1", "analytics", False, True),
    ("https://region1.google-analytics.com/g/collect?v=2&tid=G-1&gcs=G111&gcd=13r3r3r3r1", "analytics", True, False),
    ("https://region1.google-analytics.com/g/collect?v=2&tid=G-1&gcs=G101", "analytics", True, False),
    ("https://www.google-analytics.com/g/collect?v=2&tid=G-1", "analytics", True, False),  # no Consent Mode at all
    ("https://googleads.g.doubleclick.net/pagead/viewthroughconversion/1/?gcd=13q3q3q3q1", "ads", False, True),
])
def test_consent_mode_from_google_hits(url, product, granted, denied):
    hit = google_hit(url)
    assert hit is not None and hit.product == product
    assert hit.granted is granted and hit.fully_denied is denied


def test_consent_mode_letters_and_non_google_urls():
    hit = google_hit("https://region1.google-analytics.com/g/collect?gcd=13t3m3l3v1")
    assert (hit.ad_storage, hit.analytics_storage, hit.ad_user_data, hit.ad_personalization) == (
        "granted", "denied", None, "granted")
    assert google_hit("https://www.googletagmanager.com/gtag/js?id=G-1") is None  # the tag, not a hit
    assert google_hit("https://example-analytics.com/g/collect?gcs=G111") is None


def test_onetrust_groups():
    ot = decode_optanon("isGpcEnabled=1&datestamp=x&interactionCount=2&groups=C0001%3A1%2CC0002%3A0%2CC0004%3A1")
    assert ot.groups == {"C0001": True, "C0002": False, "C0004": True}
    assert ot.optional_granted == ["C0004"] and ot.interaction_count == 2 and ot.gpc_enabled is True


@pytest.mark.parametrize("label, kind", [
    ("Reject All", "reject"), ("Accept all cookies", "accept"), ("Accept only necessary", "reject"),
    ("Manage consent", "settings"), ("Save & exit", "save"), ("Alle ablehnen", "reject"), ("Nur notwendige Cookies", "reject"),
    ("Alle akzeptieren", "accept"), ("Tout refuser", "reject"), ("Continuer sans accepter →", "reject"),
    ("J’accepte", "accept"), ("Rechazar todo", "reject"), ("Aceptar todas", "accept"), ("Rifiuta tutto", "reject"),
    ("Accetta tutti", "accept"), ("Alles weigeren", "reject"), ("Alles accepteren", "accept"), ("Rejeitar todos", "reject"),
    ("Aceitar tudo", "accept"), ("Odrzuć wszystkie", "reject"), ("Zaakceptuj wszystkie", "accept"),
    ("Cookie-Einstellungen", "settings"), ("Learn more about our partners", None),
    ("This text is far too long to be the label of a button on a cookie banner, surely", None),
])
def test_vocabulary_classifies_buttons(label, kind):
    assert load_vocabulary().classify(label) == kind


def test_vocabulary_covers_every_language_and_kind():
    import yaml

    from crawler.consent.vocabulary import VOCABULARY_FILE

    raw = yaml.safe_load(VOCABULARY_FILE.read_text("utf-8"))
    for section in ("banner_words", *BUTTON_KINDS):
        assert set(raw[section]) == {"en", "de", "fr", "es", "it", "nl", "pt", "pl"}, section
    assert normalise("  «Tout  Refuser»\u00a0") == "tout refuser"
    assert load_vocabulary().is_consent_cookie("euconsent-v2") and not load_vocabulary().is_consent_cookie("_ga")
