// The toolbar badge of a tab: what the audit of its site says, at a glance (the grade letter or
// the number of undeclared trackers), a neutral mark when there is no audit, nothing on browser
// pages. Pure helpers (the background script sets the badge). Classic script: defines globalThis.cwBadge.
"use strict";

var cwBadge = (function (root) {
  const MODES = ["grade", "undeclared", "off"];
  const DEFAULT_MODE = "grade";
  const MIN_CONTRAST = 4.5; // WCAG 2 AA for text
  // Badge backgrounds; the text colour is whichever of black and white contrasts more.
  const COLOURS = {
    good: "#116329", // A, B, nothing undeclared
    fair: "#7d4e00", // C
    poor: "#a40e26", // D, E, F, undeclared trackers
    neutral: "#57606a", // not audited, no grade
  };
  const GRADE_LEVEL = { A: "good", B: "good", C: "fair", D: "poor", E: "poor", F: "poor" };

  // WCAG 2 relative luminance of "#rrggbb".
  function luminance(hex) {
    const rgb = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255);
    const [r, g, b] = rgb.map((c) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  }

  function contrastRatio(a, b) {
    const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
    return (hi + 0.05) / (lo + 0.05);
  }

  function textColourOn(background) {
    return contrastRatio(background, "#ffffff") >= contrastRatio(background, "#000000") ? "#ffffff" : "#000000";
  }

  function look(level, text, title) {
    const background = COLOURS[level];
    return { text, background, color: textColourOn(background), title };
  }

  // summary: the service's SiteSummary, null when not audited; site: null on browser pages.
  function badgeFor(site, summary, mode) {
    if (mode === "off" || !site) return { text: "", background: null, color: null, title: null };
    if (!summary) return look("neutral", "?", `consentwatch: ${site} has not been audited yet`);
    if (mode === "undeclared") {
      const n = summary.policy_found ? summary.counts.undeclared : summary.counts.loaded;
      const what = summary.policy_found ? "tracker(s) its privacy policy doesn't mention" : "tracker(s), no privacy policy found";
      return look(n ? "poor" : "good", n > 99 ? "99+" : String(n), `consentwatch: ${site} loads ${n} ${what}`);
    }
    const letter = summary.grade && summary.grade.letter;
    const level = GRADE_LEVEL[letter] || "neutral";
    return look(level, letter || "?", `consentwatch: ${site} has grade ${letter || "?"}: ${summary.summary}`);
  }

  function normaliseMode(value) {
    return MODES.includes(value) ? value : DEFAULT_MODE;
  }

  return Object.freeze({ MODES, DEFAULT_MODE, MIN_CONTRAST, COLOURS, luminance, contrastRatio, textColourOn,
    badgeFor, normaliseMode });
})(globalThis);
