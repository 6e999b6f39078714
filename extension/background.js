// Background: watches (never blocks) the requests each tab makes and keeps, per tab, the third
// parties it contacted in storage.session — so a service worker that goes to sleep loses nothing.
// Chromium runs this as a service worker (importScripts below); Firefox as background scripts
// (manifest "background.scripts" loads the same libraries first).
/* global importScripts, cwLive */
"use strict";

if (typeof importScripts === "function" && typeof globalThis.cwLive === "undefined") {
  importScripts("vendor/tldts.min.js", "lib/domains.js", "lib/live.js");
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
  const stored = (await ext.storage.session.get(key))[key];
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

function onBeforeRequest(details) {
  if (details.tabId < 0 || details.type !== "main_frame") return;
  // A new document in the tab (each redirect hop restarts it, so the final URL wins).
  serially(() => {
    cache.set(details.tabId, cwLive.newEntry(details.tabId, details.url, Date.now(), true));
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
