// Background: watches (never blocks) the requests each tab makes and keeps, per tab, the third
// parties it contacted in storage.session — so a service worker that goes to sleep loses nothing;
// and sets each tab's toolbar badge from the audit of its site.
// Chromium runs this as a service worker (importScripts below); Firefox as background scripts
// (manifest "background.scripts" loads the same libraries first).
/* global importScripts, cwApi, cwBadge, cwDomains, cwLive */
"use strict";

if (typeof importScripts === "function" && typeof globalThis.cwLive === "undefined") {
  importScripts("vendor/tldts.min.js", "lib/domains.js", "lib/live.js", "lib/api.js", "lib/badge.js");
}

const ext = globalThis.browser ?? globalThis.chrome;
const FLUSH_MS = 150;

const cache = new Map(); // tabId → entry (a copy of storage.session, rebuilt after a restart)
const dirty = new Set();
let queue = Promise.resolve();
let flushTimer = null;

// Events are applied one at a time, in order: each may have to read the stored entry first.
function serially(task) {
  queue = queue.then(task).catch((err) => console.error("consentwatch:", err));
  return queue;
}

async function entryOf(tabId) {
  if (cache.has(tabId)) return cache.get(tabId);
  const key = cwLive.keyOf(tabId);
  /** @type {ReturnType<typeof cwLive.newEntry> | undefined} */
  const stored = /** @type {any} */ ((await ext.storage.session.get(key))[key]);
  const entry = stored && stored.v === cwLive.VERSION ? stored : null;
  cache.set(tabId, entry);
  return entry;
}

function markDirty(tabId) {
  dirty.add(tabId);
  if (flushTimer === null) flushTimer = setTimeout(() => serially(flush), FLUSH_MS);
}

async function flush() {
  flushTimer = null;
  if (!dirty.size) return;
  const items = {};
  for (const tabId of dirty) {
    const entry = cache.get(tabId);
    if (entry) items[cwLive.keyOf(tabId)] = entry;
  }
  dirty.clear();
  await ext.storage.session.set(items);
}

// Without access to every site (Firefox lets users withhold it, or allow single sites) we see
// only part of a page's requests: such a page's entry is incomplete, never "no third parties".
let allSites = true;
async function checkAccess() {
  allSites = await ext.permissions.contains({ origins: ["<all_urls>"] });
}

/** @param {chrome.webRequest.OnBeforeRequestDetails} details @returns {undefined} (watches, never blocks) */
function onBeforeRequest(details) {
  if (details.tabId < 0 || details.type !== "main_frame") return;
  // A new document in the tab (each redirect hop restarts it, so the final URL wins).
  serially(() => {
    cache.set(details.tabId, cwLive.newEntry(details.tabId, details.url, Date.now(), allSites));
    markDirty(details.tabId);
  });
}

function onSendHeaders(details) {
  // Headers about to leave the browser: the tab really contacts this host (a request another
  // extension blocked never gets here).
  if (details.tabId < 0 || details.type === "main_frame") return;
  serially(async () => {
    let entry = await entryOf(details.tabId);
    if (!entry) {
      // The page was already open when we started: record from now on, but say it is incomplete.
      const tab = await ext.tabs.get(details.tabId).catch(() => null);
      const url = (tab && tab.url) || details.initiator || details.documentUrl || details.originUrl;
      if (!url) return;
      entry = cwLive.newEntry(details.tabId, url, Date.now(), false);
      cache.set(details.tabId, entry);
    }
    if (cwLive.recordRequest(entry, details.url, details.type, Date.now())) markDirty(details.tabId);
  });
}

function onTabRemoved(tabId) {
  serially(async () => {
    cache.delete(tabId);
    dirty.delete(tabId);
    await ext.storage.session.remove(cwLive.keyOf(tabId));
  });
}

const FILTER = { urls: ["<all_urls>"] };
ext.webRequest.onBeforeRequest.addListener(onBeforeRequest, { ...FILTER, types: ["main_frame"] });
ext.webRequest.onSendHeaders.addListener(onSendHeaders, FILTER);
ext.tabs.onRemoved.addListener(onTabRemoved);
ext.permissions.onAdded.addListener(() => serially(checkAccess));
ext.permissions.onRemoved.addListener(() => serially(checkAccess));
serially(checkAccess);

// ------------------------------------------------------------------ the toolbar badge
const SUMMARY_TTL_MS = 60_000; // a site's summary is asked again after a minute, or when told
const summaries = new Map(); // `${backend} ${site}` → {at, summary (null: not audited)}

async function summaryOf(site, settings) {
  const key = `${settings.backendUrl} ${site}`;
  const cached = summaries.get(key);
  if (cached && Date.now() - cached.at < SUMMARY_TTL_MS) return cached.summary;
  const summary = await new cwApi.Client(settings).summary(site);
  summaries.set(key, { at: Date.now(), summary });
  return summary;
}

async function setBadge(tabId, badge) {
  const action = ext.action;
  await action.setBadgeText({ tabId, text: badge.text });
  await action.setTitle({ tabId, title: badge.title });
  if (!badge.text) return;
  await action.setBadgeBackgroundColor({ tabId, color: badge.background });
  if (action.setBadgeTextColor) await action.setBadgeTextColor({ tabId, color: badge.color });
}

async function refreshBadge(tabId, url) {
  const settings = await cwApi.getSettings();
  const mode = cwBadge.normaliseMode(settings.badge);
  const site = url ? cwDomains.siteOfUrl(url) : null;
  let summary = null;
  if (mode !== "off" && site) {
    try {
      summary = await summaryOf(site, settings);
    } catch (_err) {
      // The service can't say: no badge rather than a guess (the popup explains).
      await setBadge(tabId, cwBadge.badgeFor(null, null, "off")).catch(() => null);
      return;
    }
  }
  await setBadge(tabId, cwBadge.badgeFor(site, summary, mode)).catch(() => null); // the tab may be gone
}

async function refreshAllBadges(site = null) {
  const tabs = await ext.tabs.query({});
  await Promise.all(tabs.filter((t) => site === null || (t.url && cwDomains.siteOfUrl(t.url) === site))
    .map((t) => refreshBadge(t.id, t.url)));
}

function onTabUpdated(tabId, change, tab) {
  // A tab's own badge is reset when it navigates: set it again once the new page is there.
  if (change.status === "complete" || change.url) refreshBadge(tabId, tab.url).catch((err) => console.error(err));
}

function forgetSite(site) {
  for (const key of [...summaries.keys()]) if (key.endsWith(` ${site}`)) summaries.delete(key);
}

// An audit the popup started or saw running: its site's badges change when it ends, even with
// the popup closed. The watches live in storage.session, so a worker that was stopped resumes
// them; reading them each round is also what keeps the worker awake meanwhile.
const JOB_POLL_MS = 2000;
const JOB_WATCH_MS = 15 * 60_000;
const WATCHES = "jobWatches";
let watching = false;

async function watchJob(site, jobUrl) {
  const watches = (await ext.storage.session.get(WATCHES))[WATCHES] || {};
  if (!watches[jobUrl]) watches[jobUrl] = { site, since: Date.now() };
  await ext.storage.session.set({ [WATCHES]: watches });
  if (!watching) pollJobs().catch((err) => console.error("consentwatch:", err));
}

async function pollJobs() {
  watching = true;
  try {
    for (;;) {
      const watches = (await ext.storage.session.get(WATCHES))[WATCHES] || {};
      if (!Object.keys(watches).length) return;
      await new Promise((resolve) => setTimeout(resolve, JOB_POLL_MS));
      const client = new cwApi.Client(await cwApi.getSettings());
      const ended = [];
      for (const [jobUrl, { site, since }] of Object.entries(watches)) {
        const job = await client.job(jobUrl).catch(() => null); // a passing failure: ask again next round
        if ((job && !["queued", "running"].includes(job.state)) || Date.now() - since > JOB_WATCH_MS) ended.push([jobUrl, site]);
      }
      if (!ended.length) continue;
      const now = (await ext.storage.session.get(WATCHES))[WATCHES] || {};
      for (const [jobUrl] of ended) delete now[jobUrl];
      await ext.storage.session.set({ [WATCHES]: now });
      for (const [, site] of ended) {
        forgetSite(site);
        await refreshAllBadges(site);
      }
    }
  } finally {
    watching = false;
  }
}

function onMessage(message) {
  if (!message || typeof message.site !== "string") return;
  if (message.type === "site-changed") {
    // The popup saw an audit land (or learned a site has none): badges of that site follow.
    forgetSite(message.site);
    refreshAllBadges(message.site).catch((err) => console.error(err));
  } else if (message.type === "audit-running" && typeof message.job === "string") {
    watchJob(message.site, message.job).catch((err) => console.error(err));
  }
}

function onSettingsChanged(changes, area) {
  if (area !== "local" || !(changes.badge || changes.backendUrl)) return;
  summaries.clear();
  refreshAllBadges().catch((err) => console.error(err));
}

ext.tabs.onUpdated.addListener(onTabUpdated);
ext.runtime.onMessage.addListener(onMessage);
ext.storage.onChanged.addListener(onSettingsChanged);
pollJobs().catch((err) => console.error("consentwatch:", err)); // watches a stopped worker left
