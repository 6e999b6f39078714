// Globals the extension's classic scripts use but do not define.

// Firefox's promise-based WebExtension namespace; the scripts use `browser ?? chrome` and only the APIs both
// have, so it is typed as Chrome's.
declare var browser: typeof chrome | undefined;

// vendor/tldts.min.js (the public-suffix library), as lib/domains.js calls it.
declare var tldts: {
  getDomain(hostname: string, options?: { allowPrivateDomains?: boolean }): string | null;
};
