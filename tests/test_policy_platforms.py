"""Declarations at the right level (issue 13 §4): a platform's name with a kind of product after
(or before) it names that product; a platform named as a place where the site's ads run declares
nothing. Wording here is this file's own, in English, German and French."""

from __future__ import annotations

import pytest

from analyzer.knowledge import load_knowledge
from analyzer.policy import analyze_policy


@pytest.fixture(scope="module")
def kb():
    return load_knowledge()


def declared(text: str, kb) -> set[tuple[str, str]]:
    return {(d.level, d.product_id or d.company_id) for d in analyze_policy(text, knowledge=kb).declarations}


@pytest.mark.parametrize(
    "text, expected",
    [
        # Platform + kind noun → the platform's product of that kind, joined names included.
        ("Our checkout pages carry the Facebook & Instagram conversion tag.", {("product", "meta-pixel")}),
        ("Retargeting: Instagram/Facebook custom audiences are built from site visits.", {("product", "meta-pixel")}),
        ("Pages with articles show Facebook “Recommend” and “Share” buttons.", {("product", "facebook-social-plugins")}),
        ("We embed Facebook's social plugins on product pages.", {("product", "facebook-social-plugins")}),
        ("Blog posts offer LinkedIn share buttons.", {("product", "linkedin-plugins")}),
        ("We measure sign-ups with the TikTok pixel.", {("product", "tiktok-pixel")}),
        ("The share buttons of Facebook are loaded only after you click them.", {("product", "facebook-social-plugins")}),
        # German
        ("Wir setzen das Facebook-Pixel und Instagram-Conversion-Tracking ein.", {("product", "meta-pixel")}),
        ("Auf einigen Seiten binden wir Facebook-„Teilen“-Schaltflächen ein.", {("product", "facebook-social-plugins")}),
        ("Diese Seite nutzt den Gefällt-mir-Button von Facebook.", {("product", "facebook-social-plugins")}),
        ("Zur Reichweitenmessung setzen wir Google-Analytics und den Google-Tag-Manager ein.",
         {("product", "google-analytics"), ("product", "google-tag-manager")}),
        ("Die Heatmaps von Microsoft zeigen uns, wo geklickt wird.", {("product", "microsoft-clarity")}),
        # French
        ("Nous utilisons le pixel Facebook pour mesurer nos campagnes.", {("product", "meta-pixel")}),
        # A kind that several products of the company share says only the company.
        ("Google pixels measure our campaigns.", {("company", "google")}),
        # No kind noun: the company stays a company.
        ("We share hashed e-mail addresses with Facebook.", {("company", "meta")}),
    ],
)
def test_platform_and_kind_name_a_product(kb, text, expected):
    assert declared(text, kb) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("We place advertisements on Instagram, Pinterest and TikTok to reach new customers.", set()),
        ("Our sponsored posts on LinkedIn link to this site.", set()),
        ("We promote our courses on YouTube and Facebook.", set()),
        # "via"/"through" name the technology used: those stay declarations.
        ("Ads on this site are delivered via Criteo.", {("product", "criteo")}),
        ("Our newsletter campaigns go out through Mailchimp.", {("product", "mailchimp")}),
        ("Ads we run on Snapchat point here.", set()),
        # The platform list ends where the sentence goes on; product names are still declarations.
        (
            "We advertise on Facebook and measure the results with the Meta Pixel.",
            {("product", "meta-pixel")},
        ),
        ("We buy ads through Google Ads.", {("product", "google-ads")}),
        ("Ads on our site are served by Criteo.", {("product", "criteo")}),
        # German
        ("Wir schalten Werbeanzeigen auf Instagram und TikTok.", set()),
        ("Unsere Kampagnen laufen auf Plattformen wie Facebook, Instagram oder LinkedIn.", set()),
        ("Wir werben bei Pinterest für unsere Produkte.", set()),
        ("Wir nutzen Facebook- und Instagram-Anzeigen, um neue Kunden zu erreichen.", set()),
        ("LinkedIn-Werbekampagnen bewerben unsere Stellenangebote.", set()),
        # French
        ("Nous diffusons des publicités sur Facebook et Instagram.", set()),
        # English: the platform's name before an ads noun, unless the knowledge base names the product.
        ("Our Pinterest and Snapchat ad campaigns link to seasonal offers.", set()),
        ("We use Facebook Ads to reach people who visited our shop.", {("product", "meta-pixel")}),
    ],
)
def test_platforms_where_ads_run_declare_nothing(kb, text, expected):
    assert declared(text, kb) == expected


def test_the_declaration_names_the_words_that_named_the_product(kb):
    (d,) = analyze_policy("Tracking: Facebook + Instagram Conversions API.", knowledge=kb).declarations
    assert (d.product_id, d.name_in_text) == ("meta-pixel", "Facebook + Instagram Conversions API")


@pytest.mark.parametrize(
    "text",
    [
        "Folgen Sie uns auf Instagram und LinkedIn.",
        "Auf unserer Facebook-Seite informieren wir über Neuigkeiten.",
        "Unser YouTube-Kanal zeigt Anleitungen.",
        "Suivez-nous sur Instagram.",
        "Retrouvez nos vidéos sur notre chaîne YouTube.",
    ],
)
def test_the_sites_own_social_presence_declares_nothing_in_other_languages(kb, text):
    assert declared(text, kb) == set()
