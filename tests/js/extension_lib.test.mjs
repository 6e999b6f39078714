// Unit tests of the extension's pure helpers (lib/badge.js, lib/knowledge.js), loaded as the
// classic scripts they are. Run by tests/test_extension_units.py (node --test).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import vm from "node:vm";

const root = new URL("../../extension/", import.meta.url);
const sandbox = vm.createContext({ console, URL });
for (const file of ["lib/badge.js", "lib/knowledge.js"]) {
  vm.runInContext(readFileSync(new URL(file, root), "utf8"), sandbox, { filename: file });
}
const { cwBadge, cwKnowledge } = sandbox;

test("WCAG contrast ratio matches the definition's known values", () => {
  assert.equal(cwBadge.contrastRatio("#000000", "#ffffff"), 21);
  assert.equal(cwBadge.contrastRatio("#ffffff", "#ffffff"), 1);
  assert.equal(cwBadge.contrastRatio("#ffffff", "#000000"), cwBadge.contrastRatio("#000000", "#ffffff"));
  // #767676 on white is the classic "just passes AA" grey: 4.54:1.
  assert.equal(Number(cwBadge.contrastRatio("#767676", "#ffffff").toFixed(2)), 4.54);
  assert.equal(Number(cwBadge.contrastRatio("#777777", "#ffffff").toFixed(2)), 4.48);
  assert.equal(Number(cwBadge.luminance("#808080").toFixed(4)), 0.2159);
});

test("every badge colour pair passes WCAG AA", () => {
  for (const [level, background] of Object.entries(cwBadge.COLOURS)) {
    const text = cwBadge.textColourOn(background);
    assert.ok(cwBadge.contrastRatio(background, text) >= cwBadge.MIN_CONTRAST, `${level}: ${background} on ${text}`);
  }
  assert.equal(cwBadge.textColourOn("#ffff00"), "#000000"); // light backgrounds get black text
  assert.equal(cwBadge.textColourOn("#000080"), "#ffffff");
});

const summary = (letter, undeclared, policyFound = true) => ({
  grade: { letter, score: 50 }, counts: { undeclared, loaded: 7 }, policy_found: policyFound, summary: "s",
});

test("badge: grade, undeclared count, neutral mark, nothing", () => {
  assert.equal(cwBadge.badgeFor("a.com", summary("A", 0), "grade").background, cwBadge.COLOURS.good);
  const d = cwBadge.badgeFor("a.com", summary("D", 3), "grade");
  assert.equal(d.text, "D");
  assert.equal(d.background, cwBadge.COLOURS.poor);
  assert.match(d.title, /grade D/);
  assert.equal(cwBadge.badgeFor("a.com", summary("C", 3), "grade").background, cwBadge.COLOURS.fair);
  assert.equal(cwBadge.badgeFor("a.com", summary("D", 3), "undeclared").text, "3");
  assert.equal(cwBadge.badgeFor("a.com", summary("A", 0), "undeclared").background, cwBadge.COLOURS.good);
  assert.equal(cwBadge.badgeFor("a.com", summary("F", 0, false), "undeclared").text, "7"); // no policy: all loaded
  assert.equal(cwBadge.badgeFor("a.com", summary("F", 250), "undeclared").text, "99+");
  const none = cwBadge.badgeFor("a.com", null, "grade");
  assert.equal(none.text, "?");
  assert.equal(none.background, cwBadge.COLOURS.neutral);
  assert.equal(cwBadge.badgeFor(null, null, "grade").text, ""); // a browser page
  assert.equal(cwBadge.badgeFor("a.com", summary("D", 3), "off").text, "");
  assert.equal(cwBadge.normaliseMode("nonsense"), "grade");
  assert.equal(cwBadge.normaliseMode("off"), "off");
});

test("knowledge lookup: longest listed suffix, never the bare TLD", () => {
  const knowledge = { domains: {
    "google.com": [null, "Google", null],
    "analytics.google.com": ["Google Analytics", "Google", "analytics"],
    "hotjar.com": ["Hotjar", "Hotjar", "session-recording"],
    com: ["Nobody", "Nobody", null],
  } };
  assert.deepEqual({ ...cwKnowledge.lookup(knowledge, "region1.analytics.google.com") },
    { product: "Google Analytics", company: "Google", category: "analytics" });
  assert.equal(cwKnowledge.lookup(knowledge, "www.google.com").product, null);
  assert.equal(cwKnowledge.lookup(knowledge, "example.com"), null);
  assert.equal(cwKnowledge.lookup(null, "hotjar.com"), null);
  // A party: its most specific host wins (a product over a company-only entry).
  const party = { domain: "google.com", hosts: ["www.google.com", "analytics.google.com"] };
  assert.equal(cwKnowledge.identify(knowledge, party).product, "Google Analytics");
  assert.equal(cwKnowledge.identify(knowledge, { domain: "unknown.net", hosts: ["x.unknown.net"] }), null);
});
