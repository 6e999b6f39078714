"""The demo web's policies read at the right level (issue 13 §4), without a browser: what each
policy names as products and as companies matches crawler/testing/demo/expected.yaml, so the demo
report cannot say "Instagram Embeds declared but not seen" for a Meta remarketing pixel."""

from __future__ import annotations

from importlib import resources

import pytest
import yaml

from analyzer.knowledge import load_knowledge
from analyzer.policy import analyze_policy
from crawler.text_extract import extract_main_text

DEMO = resources.files("crawler.testing").joinpath("demo")
EXPECTED = yaml.safe_load(DEMO.joinpath("expected.yaml").read_text("utf-8"))["sites"]


def _policy_texts(domain: str) -> tuple[str, str | None]:
    stem = domain.split(".")[0]
    files = {p.name: p for p in DEMO.joinpath("policies").iterdir() if p.name.endswith(".html")}
    mine = sorted(name for name in files if stem.startswith(name.split("-")[0]))
    privacy = next(name for name in mine if "cookie" not in name)
    cookie = next((name for name in mine if "cookie" in name), None)
    text = lambda name: extract_main_text(files[name].read_text("utf-8"))  # noqa: E731
    return text(privacy), text(cookie) if cookie else None


@pytest.mark.parametrize("domain", sorted(EXPECTED))
def test_demo_policy_declarations_match_the_ground_truth(domain):
    privacy, cookie = _policy_texts(domain)
    analysis = analyze_policy(privacy, cookie_policy_text=cookie, knowledge=load_knowledge())
    truth = EXPECTED[domain]["declares"]
    assert analysis.declared_product_ids() == set(truth["products"]), domain
    companies = {d.company_id for d in analysis.declarations if d.level == "company"}
    # Amazon Web Services is named as a hosting processor at quaykite: a company mention the
    # ground truth does not count as declaring a tracker company.
    assert companies - {"amazon"} == set(truth["companies"]), domain


@pytest.mark.parametrize("domain", sorted(EXPECTED))
def test_demo_policy_categories_cover_what_they_describe(domain):
    """A loaded tracker the policy names neither as product nor as company, but whose purpose it
    declares as a category (a third-party phrase or a listed cookie purpose), is vaguely declared,
    never "undeclared": the ground truth's `declares.categories` must be read."""
    privacy, cookie = _policy_texts(domain)
    kb = load_knowledge()
    analysis = analyze_policy(privacy, cookie_policy_text=cookie, knowledge=kb)
    truth = EXPECTED[domain]
    read = {d.category for d in [*analysis.category_mentions, *analysis.cookie_purposes]}
    named = analysis.declared_product_ids()
    for product in truth["loads"]:
        category = kb.products[product].category
        if product not in named and category in truth["declares"]["categories"]:
            assert category in read, (domain, product, category, sorted(read))
