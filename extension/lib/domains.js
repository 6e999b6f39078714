// Registrable domains (the "site" of a URL) with the vendored Public Suffix List (tldts), shared by
// the background script and the extension pages. Classic script: defines globalThis.cwDomains.
/* global tldts */
"use strict";

var cwDomains = (function (root) {
  const WEB_SCHEMES = new Set(["http:", "https:"]);

  function parseUrl(url) {
    try {
      return new URL(url);
    } catch (_err) {
      return null;
    }
  }

  // "https://www.shop.co.uk/x" → "shop.co.uk"; IP addresses and single-label hosts stay as they are.
  function registrableDomain(hostname) {
    const host = String(hostname || "").toLowerCase().replace(/\.$/, "");
    if (!host) return null;
    const domain = tldts.getDomain(host, { allowPrivateDomains: false });
    return domain || host;
  }

  // The site a page belongs to, or null when the page is not a web page (chrome://, about:, file:…).
  function siteOfUrl(url) {
    const parsed = parseUrl(url);
    if (!parsed || !WEB_SCHEMES.has(parsed.protocol) || !parsed.hostname) return null;
    return registrableDomain(parsed.hostname);
  }

  function hostOfUrl(url) {
    const parsed = parseUrl(url);
    return parsed && WEB_SCHEMES.has(parsed.protocol) ? parsed.hostname.toLowerCase() : null;
  }

  function isWebUrl(url) {
    const parsed = parseUrl(url);
    return Boolean(parsed && WEB_SCHEMES.has(parsed.protocol) && parsed.hostname);
  }

  return Object.freeze({ registrableDomain, siteOfUrl, hostOfUrl, isWebUrl });
})(globalThis);
