"""Attribution of requests and cookies: own signatures, the four lists, first party, unknowns."""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer.attribution import Attribution, Attributor
from analyzer.external import ExternalLists, load_lists
from analyzer.knowledge import load_knowledge

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
SITE = "example-shop.com"
needs_lists = pytest.mark.skipif(not SHARED_DATA.is_dir(),
                                 reason=f"needs the tracker list snapshots at {SHARED_DATA} (../shared/data)")


@pytest.fixture(scope="module")
def own() -> Attributor:
    return Attributor(load_knowledge(), ExternalLists())


@pytest.fixture(scope="module")
def full() -> Attributor:
    return Attributor(load_knowledge(), load_lists(SHARED_DATA))


@pytest.fixture(scope="module", params=["own", "full"])
def attributor(request) -> Attributor:
    if request.param == "full" and not SHARED_DATA.is_dir():
        pytest.skip(f"needs the tracker list snapshots at {SHARED_DATA} (../shared/data)")
    return request.getfixturevalue(request.param)


REQUIRED_URLS = [
    ("https://region1.google-analytics.com/g/collect?v=2&tid=G-X", "google-analytics", "google"),
    ("https://www.google-analytics.com/analytics.js", "google-analytics", "google"),
    ("https://www.googletagmanager.com/gtag/js?id=G-X", "google-analytics", "google"),
    ("https://www.googletagmanager.com/gtag/js?l=dataLayer&id=UA-1-1", "google-analytics", "google"),
    ("https://www.googletagmanager.com/gtag/js?id=AW-123456", "google-ads", "google"),
    ("https://www.googletagmanager.com/gtm.js?id=GTM-ABC", "google-tag-manager", "google"),
    ("https://googleads.g.doubleclick.net/pagead/viewthroughconversion/1/", "google-ads", "google"),
    ("https://www.googleadservices.com/pagead/conversion.js", "google-ads", "google"),
    ("https://stats.g.doubleclick.net/g/collect", "google-analytics", "google"),
    ("https://connect.facebook.net/en_US/fbevents.js", "meta-pixel", "meta"),
    ("https://connect.facebook.net/signals/config/123?v=2.9", "meta-pixel", "meta"),
    ("https://www.facebook.com/tr?id=1&ev=PageView", "meta-pixel", "meta"),
    ("https://www.facebook.com/tr/?id=1&ev=PageView", "meta-pixel", "meta"),
    ("https://www.facebook.com/plugins/like.php?href=x", "facebook-social-plugins", "meta"),
    ("https://connect.facebook.net/en_US/sdk.js", "facebook-social-plugins", "meta"),
    ("https://www.instagram.com/p/abc/embed/", "instagram-embed", "instagram"),
    ("https://www.youtube.com/embed/x", "youtube", "youtube"),
    ("https://www.youtube-nocookie.com/embed/x", "youtube", "youtube"),
    ("https://static.hotjar.com/c/hotjar-1.js?sv=6", "hotjar", "hotjar"),
    ("https://snap.licdn.com/li.lms-analytics/insight.min.js", "linkedin-insight", "linkedin"),
    ("https://px.ads.linkedin.com/collect?pid=1", "linkedin-insight", "linkedin"),
    ("https://analytics.tiktok.com/i18n/pixel/events.js", "tiktok-pixel", "tiktok"),
    ("https://www.clarity.ms/tag/x", "microsoft-clarity", "microsoft"),
    ("https://bat.bing.com/bat.js", "microsoft-advertising", "microsoft"),
    ("https://static.ads-twitter.com/uwt.js", "x-pixel", "x-corp"),
    ("https://s.pinimg.com/ct/core.js", "pinterest-tag", "pinterest"),
    ("https://ct.pinterest.com/v3/?tid=1", "pinterest-tag", "pinterest"),
    ("https://sc-static.net/scevent.min.js", "snap-pixel", "snap"),
    ("https://tr.snapchat.com/p", "snap-pixel", "snap"),
    ("https://static.criteo.net/js/ld/onetag.js", "criteo", "criteo"),
    ("https://js.hs-scripts.com/123.js", "hubspot", "hubspot"),
    ("https://cdn.segment.com/analytics.js/v1/k/analytics.min.js", "segment", "segment"),
    ("https://api-js.mixpanel.com/track/", "mixpanel", "mixpanel"),
    ("https://api2.amplitude.com/2/httpapi", "amplitude", "amplitude"),
    ("https://edge.fullstory.com/s/fs.js", "fullstory", "fullstory"),
    ("https://shop.sc.omtrdc.net/b/ss/rsid/1/JS-2.22.0/s1", "adobe-analytics", "adobe"),
    ("https://c.amazon-adsystem.com/aax2/apstag.js", "amazon-ads", "amazon"),
    ("https://cdn.taboola.com/libtrc/shop/loader.js", "taboola", "taboola"),
    ("https://widgets.outbrain.com/outbrain.js", "outbrain", "outbrain"),
    ("https://cdn.cookielaw.org/scripttemplates/otSDKStub.js", "onetrust", "onetrust"),
    ("https://consent.cookiebot.com/uc.js", "cookiebot", "usercentrics"),
]


@pytest.mark.parametrize(("url", "product", "company"), REQUIRED_URLS)
def test_required_products_by_real_hostnames(attributor, url, product, company):
    found = attributor.attribute_request(url, SITE)
    # `company` above is the operating company; the report names its owner below any holding.
    reported = attributor.knowledge.reported_company(company)
    assert (found.product_id, found.operating_company_id, found.company_id, found.source, found.party) == (
        product, company, reported, "own", "third"
    )
    assert found.product_name == attributor.knowledge.products[product].name
    assert found.category == attributor.knowledge.products[product].category
    assert found.label == found.product_name and found.attributed


def test_every_signature_example_attributes_to_its_product(own):
    wrong = []
    for product in own.knowledge.products.values():
        for signature in product.requests:
            found = own.attribute_request(signature.example, SITE)
            if found.product_id != product.id or found.operating_company_id != product.company:
                wrong.append((signature.example, product.id, found.product_id))
    assert not wrong


def test_company_fields_and_parent_chain(own):
    found = own.attribute_request("https://www.youtube.com/embed/x", SITE)
    assert (found.company_name, found.operating_company_name) == ("Google", "YouTube")
    assert own.knowledge.company_chain(found.operating_company_id) == ["youtube", "google", "alphabet"]


@pytest.mark.parametrize(
    ("url", "operating", "company"),
    [
        # Subsidiaries are reported under their owner (issue 13 §5), with the operating company kept.
        ("https://www.instagram.com/p/abc/embed/", "Instagram", "Meta"),
        ("https://api.whatsapp.com/send?text=hi", "WhatsApp", "Meta"),
        ("https://px.ads.linkedin.com/collect?pid=1", "LinkedIn", "Microsoft"),
        ("https://www.youtube-nocookie.com/embed/x", "YouTube", "Google"),
        # Products the owner runs itself: operating company and company are one.
        ("https://bat.bing.com/bat.js", "Microsoft", "Microsoft"),
        ("https://www.clarity.ms/tag/x", "Microsoft", "Microsoft"),
        ("https://googleads.g.doubleclick.net/pagead/id", "Google", "Google"),
        ("https://www.google-analytics.com/g/collect", "Google", "Google"),
        # A company known only by its domain is reported the same way.
        ("https://youtu.be/abc", "YouTube", "Google"),
        ("https://lnkd.in/abc", "LinkedIn", "Microsoft"),
    ],
)
def test_operating_company_and_the_company_that_answers(attributor, url, operating, company):
    found = attributor.attribute_request(url, SITE)
    assert (found.operating_company_name, found.company_name) == (operating, company)


@pytest.mark.parametrize(
    ("url", "site"),
    [
        ("https://static.example-shop.com/app.js", "example-shop.com"),
        ("https://www.example-shop.com/", "www.example-shop.com"),
        ("https://cdn.shop.co.uk/x.js", "shop.co.uk"),
        ("https://shop.co.uk:8443/api?x=1", "https://www.shop.co.uk/"),
        ("data:image/png;base64,AAAA", "example-shop.com"),
        ("blob:https://www.example-shop.com/0b1c-22", "example-shop.com"),
    ],
)
def test_own_hosts_are_first_party_never_trackers(attributor, url, site):
    found = attributor.attribute_request(url, site)
    assert (found.party, found.source, found.product_id, found.company_id) == ("first", "first-party", None, None)


def test_sibling_registrable_domains_are_not_first_party(attributor):
    # shop.co.uk and other.co.uk share only the public suffix
    found = attributor.attribute_request("https://cdn.other.co.uk/x.js", "shop.co.uk")
    assert found.party == "third" and found.source == "unattributed" and found.label == "other.co.uk"


def test_unknown_third_party_is_kept_as_unattributed(attributor):
    found = attributor.attribute_request("https://px.unknown-metrics-xyz.com/p.gif?u=1", SITE)
    assert (found.party, found.source, found.product_id, found.company_id) == ("third", "unattributed", None, None)
    assert found.domain == found.label == found.company_name == "unknown-metrics-xyz.com" and not found.attributed
    other = attributor.attribute_request("https://cdn.another-unknown-xyz.net/a.js", SITE)
    assert other.company_name == "another-unknown-xyz.net"


def test_company_only_from_owned_domain(attributor):
    found = attributor.attribute_request("https://www.google.com/search?q=x", SITE)
    assert (found.source, found.product_id, found.company_id, found.label) == ("own", None, "google", "Google")


@needs_lists
def test_same_owner_is_first_party_but_attributed(full, own):
    for attributor in (full, own):
        found = attributor.attribute_request("https://www.google-analytics.com/g/collect", "youtube.com")
        assert (found.party, found.product_id) == ("first", "google-analytics")
        found = attributor.attribute_request("https://www.facebook.com/tr?id=1", "instagram.com")
        assert (found.party, found.product_id) == ("first", "meta-pixel")
    # ownership known only to the lists: blogger.com is Google's per DuckDuckGo and Disconnect
    assert full.attribute_request("https://www.google-analytics.com/g/collect", "blogger.com").party == "first"
    assert own.attribute_request("https://www.google-analytics.com/g/collect", "blogger.com").party == "third"


@needs_lists
@pytest.mark.parametrize(
    ("url", "source", "company", "product", "category"),
    [
        # DuckDuckGo only (not in Ghostery, Disconnect or our signatures)
        ("https://adpone.com/tag.js", "duckduckgo", "Adpone", None, None),
        # Ghostery only: product-level names
        ("https://mmtro.com/x.gif", "ghostery", "1000mercis", "1000mercis", "analytics"),
        ("https://hit.8digits.com/hit?x=1", "ghostery", "8digits", "8digits", "analytics"),
        # Disconnect only
        ("https://10web.io/pixel", "disconnect", "10Web", None, "advertising"),
        ("https://foo.4dem.it/open.gif", "disconnect", "4dem", None, "advertising"),
    ],
)
def test_long_tail_hosts_attributed_by_the_list_that_knows_them(full, own, url, source, company, product, category):
    found = full.attribute_request(url, SITE)
    assert (found.source, found.company_name, found.product_name, found.category, found.party) == (
        source, company, product, category, "third"
    )
    assert found.company_id and found.label == (product or company)
    assert own.attribute_request(url, SITE).source == "unattributed"


@needs_lists
def test_list_entities_map_to_our_companies(full):
    # DuckDuckGo says "Microsoft Corporation" for azure.net: that is our microsoft
    found = full.attribute_request("https://x.azure.net/x.js", SITE)
    assert (found.source, found.company_id, found.company_name) == ("duckduckgo", "microsoft", "Microsoft")
    # a list's product name we know becomes our product (Ghostery/DuckDuckGo "Google Analytics")
    found = full.attribute_request("https://www.googleanalytics.com/analytics.js", SITE)
    assert (found.product_id, found.company_id) == ("google-analytics", "google")


@needs_lists
def test_duckduckgo_verdict_is_reported(full):
    found = full.attribute_request("https://attntags.com/t.js", SITE)
    assert found.source == "duckduckgo" and found.blocked is True
    ignored = full.attribute_request("https://analytics-egain.com/x.js", SITE)
    assert ignored.source == "duckduckgo" and ignored.blocked is False


@needs_lists
def test_cname_cloaked_tracker_is_attributed_but_first_party(full, own):
    found = full.attribute_request("https://aa.athome.com/b/ss/rsid/1/JS/s1", "athome.com")
    assert (found.party, found.product_id, found.domain) == ("first", "adobe-analytics", "athome.com")
    assert own.attribute_request("https://aa.athome.com/b/ss/rsid/1/JS/s1", "athome.com").source == "first-party"


def test_batch_matches_single(attributor):
    urls = [u for u, _, _ in REQUIRED_URLS] + ["https://static.example-shop.com/a.js", "https://zzz-unknown.net/"]
    assert attributor.attribute_requests(urls, SITE) == [attributor.attribute_request(u, SITE) for u in urls]


# -- cookies -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "domain", "product", "party"),
    [
        ("_ga", ".example-shop.com", "google-analytics", "first"),
        ("_ga_ABC123", ".example-shop.com", "google-analytics", "first"),
        ("_gid", "www.example-shop.com", "google-analytics", "first"),
        ("_gcl_au", ".example-shop.com", "google-ads", "first"),
        ("_fbp", ".example-shop.com", "meta-pixel", "first"),
        ("_hjSessionUser_123", "example-shop.com", "hotjar", "first"),
        ("_hjSession_123", ".example-shop.com", "hotjar", "first"),
        ("_clck", ".example-shop.com", "microsoft-clarity", "first"),
        ("_ttp", ".example-shop.com", "tiktok-pixel", "first"),
        ("OptanonConsent", ".example-shop.com", "onetrust", "first"),
        ("IDE", ".doubleclick.net", "google-ads", "third"),
        ("test_cookie", ".doubleclick.net", "google-ads", "third"),
        ("fr", ".facebook.com", "meta-pixel", "third"),
        ("bcookie", ".linkedin.com", "linkedin-insight", "third"),
        ("MUID", ".bing.com", "microsoft-advertising", "third"),
        ("VISITOR_INFO1_LIVE", ".youtube.com", "youtube", "third"),
    ],
)
def test_cookies_by_name(attributor, name, domain, product, party):
    found = attributor.attribute_cookie(name, domain, SITE)
    assert (found.product_id, found.party, found.source) == (product, party, "own")


def test_generic_cookie_names_on_the_site_stay_first_party(attributor):
    # "fr", "uid", "MUID" mean Facebook/Adform/Microsoft only on their domains
    for name in ("fr", "uid", "MUID", "session", "cart"):
        found = attributor.attribute_cookie(name, ".example-shop.com", SITE)
        assert (found.party, found.source, found.product_id) == ("first", "first-party", None), name


def test_third_party_cookie_falls_back_to_its_domain(attributor):
    found = attributor.attribute_cookie("NID", ".google.com", SITE)
    assert (found.party, found.source, found.company_id, found.product_id) == ("third", "own", "google", None)
    found = attributor.attribute_cookie("whatever", "px.unknown-metrics-xyz.com", SITE)
    assert (found.source, found.label) == ("unattributed", "unknown-metrics-xyz.com")


@needs_lists
def test_cookies_from_the_lists(full, own):
    # a long-tail tracker domain: attributed through the request lists
    found = full.attribute_cookie("id", ".mmtro.com", SITE)
    assert (found.source, found.company_name, found.party) == ("ghostery", "1000mercis", "third")
    # a first-party cookie only the Open Cookie Database knows
    found = full.attribute_cookie("PHPSESSID", "www.example-shop.com", SITE)
    assert (found.source, found.party, found.category) == ("open-cookie-database", "first", "functional")
    assert own.attribute_cookie("PHPSESSID", "www.example-shop.com", SITE).source == "first-party"


def test_attribution_is_a_serialisable_struct(own):
    import msgspec

    found = own.attribute_request("https://www.facebook.com/tr?id=1", SITE)
    assert msgspec.json.decode(msgspec.json.encode(found), type=Attribution) == found


@pytest.mark.parametrize(
    ("name", "domain", "product"),
    [
        # A name one product uses, set on another product's own host: the host decides.
        ("MR", ".bat.bing.com", "microsoft-advertising"),
        ("SM", "bat.bing.com", "microsoft-advertising"),
        # The name's own product on its own hosts, or on hosts no product claims, keeps the name's answer.
        ("MR", ".c.clarity.ms", "microsoft-clarity"),
        ("CLID", "www.clarity.ms", "microsoft-clarity"),
        ("MR", ".c.bing.com", "microsoft-clarity"),
        ("_ga", ".px.unknown-metrics-xyz.com", "google-analytics"),
    ],
)
def test_cookie_domain_outranks_a_name_of_another_product(attributor, name, domain, product):
    assert attributor.attribute_cookie(name, domain, SITE).product_id == product
