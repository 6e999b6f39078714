// The popup's reading of a privacy signal (extension/lib/signals.js): the stance and its source are
// separate fields of the summary payload; summaries stored before that still read the same.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import vm from "node:vm";

const root = new URL("../../extension/", import.meta.url);
const sandbox = vm.createContext({});
vm.runInContext(readFileSync(new URL("lib/signals.js", root), "utf8"), sandbox, { filename: "lib/signals.js" });
const { cwSignals } = sandbox;

const gpc = (fields) => ({ observed: "2 advertising tracker(s) loaded with GPC on", contradicted: false, ...fields });

test("a gpc.json claim reads from the source field, not from the stance's spelling", () => {
  const signal = gpc({ policy: "honors", source: "well_known_gpc_json" });
  assert.deepEqual({ ...cwSignals.claimOf(signal) }, { stance: "honors", source: "well_known_gpc_json" });
  assert.equal(cwSignals.stanceText(signal), "Says it honours it (/.well-known/gpc.json)");
  assert.deepEqual({ ...cwSignals.verdictOf("gpc", signal) }, { ok: true, text: "Consistent" });
  assert.deepEqual({ ...cwSignals.verdictOf("gpc", { ...signal, contradicted: true }) }, { ok: false, text: "Claim broken" });
});

test("a policy claim shows no source; an unknown source adds nothing", () => {
  assert.equal(cwSignals.stanceText(gpc({ policy: "honors", source: "privacy_policy" })), "Says it honours it");
  assert.equal(cwSignals.stanceText(gpc({ policy: "honors", source: "somewhere_new" })), "Says it honours it");
  assert.equal(cwSignals.stanceText(gpc({ policy: "does_not_honor", source: "privacy_policy" })), "Says it doesn't honour it");
  assert.equal(cwSignals.stanceText(gpc({ policy: "a_new_stance" })), "a new stance");
});

test("a summary stored before the source field reads as the structured one", () => {
  const legacy = gpc({ policy: "honors (/.well-known/gpc.json)" });
  const today = gpc({ policy: "honors", source: "well_known_gpc_json" });
  assert.deepEqual({ ...cwSignals.claimOf(legacy) }, { ...cwSignals.claimOf(today) });
  assert.equal(cwSignals.stanceText(legacy), cwSignals.stanceText(today));
  for (const contradicted of [false, true]) {
    assert.deepEqual({ ...cwSignals.verdictOf("gpc", { ...legacy, contradicted }) },
      { ...cwSignals.verdictOf("gpc", { ...today, contradicted }) });
  }
});

test("verdicts: contradicted, no policy, not tested, consistent, nothing tracked, no claim", () => {
  const v = (name, fields) => ({ ...cwSignals.verdictOf(name, fields) });
  assert.deepEqual(v("dnt", null), { ok: null, text: "Not tested" });
  assert.deepEqual(v("sale", { policy: "does_not_sell", observed: "3 advertising tracker(s) loaded", contradicted: true }),
    { ok: false, text: "Contradicted" });
  assert.deepEqual(v("dnt", { policy: "silent", observed: "x", contradicted: true }), { ok: false, text: "Not honoured" });
  assert.deepEqual(v("dnt", { policy: "no policy", observed: "x" }), { ok: null, text: "Nothing to check against" });
  assert.deepEqual(v("dnt", { policy: "honors", observed: "not tested", source: "privacy_policy" }), { ok: null, text: "Not tested" });
  assert.deepEqual(v("sale", { policy: "does_not_sell", observed: "0 advertising tracker(s) loaded" }), { ok: true, text: "Consistent" });
  assert.deepEqual(v("dnt", { policy: "silent", observed: "no trackers loaded with DNT on" }), { ok: true, text: "Nothing tracked" });
  assert.deepEqual(v("gpc", { policy: "unclear", observed: "2 advertising tracker(s) loaded with GPC on" }),
    { ok: null, text: "No claim to check" });
});
