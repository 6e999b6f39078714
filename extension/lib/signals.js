// A privacy signal of the summary payload (signals.dnt, .gpc, .sale): the policy's stance, where
// the claim stands (source), and the verdict the popup shows. Pure helpers; classic script:
// defines the global cwSignals. The payload is model/report.py's Signal (extension/types/api.d.ts).
"use strict";

var cwSignals = (function () {
  /** @type {Record<string, string>} */
  const STANCE_TEXT = {
    honors: "Says it honours it",
    does_not_honor: "Says it doesn't honour it",
    unclear: "Unclear or hedged",
    silent: "Doesn't mention it",
    "no policy": "No policy found",
    does_not_sell: "Says it doesn't sell or share data",
    sells_or_shares: "Says it sells or shares data",
  };
  // Where a claim stands when it is not the privacy policy: shown after the stance.
  /** @type {Record<string, string>} */
  const SOURCE_TEXT = { well_known_gpc_json: "/.well-known/gpc.json" };
  // Summaries stored before `source` was a field spelled the gpc.json claim into the stance.
  /** @type {Record<string, {stance: string, source: string}>} */
  const LEGACY = { "honors (/.well-known/gpc.json)": { stance: "honors", source: "well_known_gpc_json" } };

  /**
   * @param {Signal} signal
   * @returns {{stance: string, source: string|null}}
   */
  function claimOf(signal) {
    return LEGACY[signal.policy] || { stance: signal.policy, source: signal.source || null };
  }

  /** @param {Signal} signal */
  function stanceText(signal) {
    const { stance, source } = claimOf(signal);
    const text = STANCE_TEXT[stance] || stance.replace(/_/g, " ");
    return source && SOURCE_TEXT[source] ? `${text} (${SOURCE_TEXT[source]})` : text;
  }

  // {ok: true | false | null, text}: null is neither good nor bad (nothing to judge).
  /**
   * @param {string} name
   * @param {Signal | undefined} signal
   */
  function verdictOf(name, signal) {
    if (!signal) return { ok: null, text: "Not tested" };
    const { stance } = claimOf(signal);
    if (signal.contradicted) {
      return { ok: false, text: name === "sale" ? "Contradicted" : stance === "honors" ? "Claim broken" : "Not honoured" };
    }
    if (stance === "no policy") return { ok: null, text: "Nothing to check against" };
    if (signal.observed === "not tested") return { ok: null, text: "Not tested" };
    if (stance === "honors" || stance === "does_not_sell") return { ok: true, text: "Consistent" };
    if (/^no (advertising )?trackers loaded/.test(signal.observed)) return { ok: true, text: "Nothing tracked" };
    return { ok: null, text: "No claim to check" };
  }

  return Object.freeze({ STANCE_TEXT, SOURCE_TEXT, claimOf, stanceText, verdictOf });
})();
