"""Knowledge additions of issue 13 §7: AddThis (Oracle), Coremetrics (Acoustic, ex-IBM), ForeSee (Verint):
their requests and cookies are attributed, and policies naming them declare them."""

from __future__ import annotations

import pytest

from analyzer.attribution import default_attributor
from analyzer.policy import analyze_policy

CASES = [
    ("addthis", "oracle", "https://s7.addthis.com/js/300/addthis_widget.js#pubid=ra-5", "__atuvc", ".news-site.com"),
    ("coremetrics", "acoustic", "https://data.coremetrics.com/cm?tid=1&ci=90391234&pi=HOME", "CoreID6", ".shop-site.com"),
    ("foresee", "verint", "https://gateway.foresee.com/sites/shop/production/gateway.min.js", "_4c_", ".shop-site.com"),
]


@pytest.mark.parametrize("product,company,url,cookie,cookie_domain", CASES)
def test_requests_and_cookies_are_attributed(product, company, url, cookie, cookie_domain):
    attributor = default_attributor()
    hit = attributor.attribute_request(url, "shop-site.com")
    assert (hit.product_id, hit.company_id) == (product, company), hit
    by_cookie = attributor.attribute_cookie(cookie, cookie_domain, "shop-site.com")
    assert by_cookie.product_id == product, by_cookie


@pytest.mark.parametrize("sentence,product", [
    ("We use the AddThis sharing buttons so you can share articles.", "addthis"),
    ("Site analytics are provided by IBM Digital Analytics (formerly Coremetrics).", "coremetrics"),
    ("A random sample of visitors is invited to the ForeSee Results American Customer Satisfaction Index survey.",
     "foresee"),
])
def test_policies_naming_them_declare_them(sentence, product):
    analysis = analyze_policy("Privacy Policy\n\nCookies and analytics\n\n" + sentence)
    assert product in {d.product_id for d in analysis.declarations}, analysis.declarations
