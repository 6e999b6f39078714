// What the service knows about third-party domains (GET /v1/knowledge/domains): host suffix →
// [product, company, category]. Cached in storage.local, so the live view names the companies
// behind a tab's third parties on sites never audited, and keeps doing so offline.
// Classic script: defines globalThis.cwKnowledge. Needs cwApi.
/* global cwApi */
"use strict";

var cwKnowledge = (function (root) {
  const ext = root.browser ?? root.chrome;
  const KEY = "knowledge";
  const FRESH_MS = 24 * 3600 * 1000; // the service says max-age=86400; then revalidate by ETag

  /** @typedef {KnowledgeMap & { backendUrl: string, etag: string | null, fetchedAt: number }} StoredKnowledge */

  // The map for this service: the cached copy when fresh, else revalidated; the cache (however
  // old) when the service can't be reached; null when we never had one.
  /** @returns {Promise<StoredKnowledge | null>} */
  async function load(client, now = Date.now()) {
    /** @type {StoredKnowledge | null} */
    const cached = /** @type {any} */ ((await ext.storage.local.get(KEY))[KEY]) || null;
    const mine = cached && cached.backendUrl === client.base ? cached : null;
    if (mine && now - mine.fetchedAt < FRESH_MS) return mine;
    try {
      const fresh = await client.knowledgeDomains(mine ? mine.etag : null);
      let entry;
      if (fresh !== null) {
        entry = { backendUrl: client.base, version: fresh.body.version, etag: fresh.etag, fetchedAt: now, domains: fresh.body.domains };
      } else if (mine) {
        entry = { ...mine, fetchedAt: now };
      } else {
        return cached; // a 304 to a request that carried no ETag of ours: there is nothing to revalidate
      }
      await ext.storage.local.set({ [KEY]: entry });
      return entry;
    } catch (err) {
      console.warn("consentwatch: knowledge map not refreshed:", err && err.message);
      return mine || cached;
    }
  }

  // The entry of a host's longest listed suffix, as {product, company, category}, or null.
  function lookup(knowledge, host) {
    if (!knowledge || !host) return null;
    const labels = host.toLowerCase().split(".");
    for (let i = 0; i < labels.length - 1 || i === 0; i += 1) {
      const entry = knowledge.domains[labels.slice(i).join(".")];
      if (entry) return { product: entry[0], company: entry[1], category: entry[2] };
    }
    return null;
  }

  // A live party (its hosts) → the most specific entry among its hosts, or null.
  function identify(knowledge, party) {
    const found = (party.hosts || [party.domain]).map((host) => lookup(knowledge, host)).filter(Boolean);
    return found.find((e) => e.product) || found[0] || lookup(knowledge, party.domain);
  }

  return Object.freeze({ KEY, load, lookup, identify });
})(globalThis);
