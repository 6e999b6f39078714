// "Live on this tab": the third parties a tab contacted, kept per tab in storage.session.
// Pure helpers shared by the background script (which records) and the popup (which compares).
// Classic script: defines globalThis.cwLive. Needs cwDomains.
/* global cwDomains */
"use strict";

var cwLive = (function (root) {
  const VERSION = 1;
  const MAX_HOSTS = 8; // distinct hostnames kept per third party (evidence, not a log)
  const MAX_PARTIES = 300; // per tab; a page contacting more is summarised by the count

  function keyOf(tabId) {
    return `tab:${tabId}`;
  }

  // A new page load in a tab. `complete` is false when we only joined after the page had loaded
  // (installed, updated or restarted meanwhile): then we have seen only part of its requests.
  function newEntry(tabId, url, now, complete) {
    return { v: VERSION, tabId, url, site: cwDomains.siteOfUrl(url), since: now, complete, parties: {}, dropped: 0 };
  }

  // Records one request; returns true when the entry changed.
  function recordRequest(entry, url, type, now) {
    if (!entry.site) return false;
    const host = cwDomains.hostOfUrl(url);
    if (!host) return false;
    const domain = cwDomains.registrableDomain(host);
    if (!domain || domain === entry.site) return false;
    let party = entry.parties[domain];
    if (!party) {
      if (Object.keys(entry.parties).length >= MAX_PARTIES) {
        entry.dropped += 1;
        return true;
      }
      party = entry.parties[domain] = { requests: 0, hosts: [], types: [], first: now };
    }
    party.requests += 1;
    if (party.hosts.length < MAX_HOSTS && !party.hosts.includes(host)) party.hosts.push(host);
    if (type && !party.types.includes(type)) party.types.push(type);
    return true;
  }

  // Third parties of an entry, most requests first.
  function parties(entry) {
    return Object.entries(entry.parties || {})
      .map(([domain, p]) => ({ domain, ...p }))
      .sort((a, b) => b.requests - a.requests || a.domain.localeCompare(b.domain));
  }

  // Live parties against the audit's third-party domains ({domain → tracker name or null}).
  function compare(entry, auditDomains) {
    const list = parties(entry).map((p) => ({
      ...p,
      inAudit: Object.prototype.hasOwnProperty.call(auditDomains, p.domain),
      auditName: auditDomains[p.domain] || null,
    }));
    return { parties: list, notInAudit: list.filter((p) => !p.inAudit) };
  }

  return Object.freeze({ VERSION, keyOf, newEntry, recordRequest, parties, compare });
})(globalThis);
