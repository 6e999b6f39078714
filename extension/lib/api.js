// The consentwatch service, as the extension pages see it: settings, reads and the one write
// (POST /v1/crawls). Classic script: defines globalThis.cwApi.
"use strict";

var cwApi = (function (root) {
  const ext = root.browser ?? root.chrome;
  const DEFAULT_BACKEND = "http://127.0.0.1:8787"; // `consentwatch serve` listens here by default
  const TIMEOUT_MS = 15000; // a refused connection fails at once; this is for a service that never answers

  class BackendError extends Error {
    // kind: "unreachable" (no answer), "http" (an answer with an error status), "bad_response"
    /**
     * @param {"unreachable" | "http" | "bad_response"} kind
     * @param {string} message
     * @param {{ url?: string, status?: number | null, code?: string | null }} [details]
     */
    constructor(kind, message, { url, status = null, code = null } = {}) {
      super(message);
      this.name = "BackendError";
      this.kind = kind;
      this.url = url;
      this.status = status;
      this.code = code;
    }
  }

  function normaliseBackend(raw) {
    const text = String(raw || "").trim();
    if (!text) return DEFAULT_BACKEND;
    const url = new URL(text); // throws on nonsense: the options page reports it
    if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error("the backend URL must start with http:// or https://");
    if (url.username || url.password) throw new Error("put the token in the token field, not in the URL");
    return url.origin + url.pathname.replace(/\/+$/, "");
  }

  /** @returns {Promise<ExtensionSettings>} */
  async function getSettings() {
    const stored = await ext.storage.local.get({ backendUrl: DEFAULT_BACKEND, token: "", badge: "grade" });
    let backendUrl;
    try {
      backendUrl = normaliseBackend(stored.backendUrl);
    } catch (_err) {
      backendUrl = DEFAULT_BACKEND;
    }
    return { backendUrl, token: String(stored.token || "").trim(), badge: /** @type {string} */ (stored.badge) };
  }

  /** @param {{ backendUrl: string, token: string, badge?: string }} input @returns {Promise<ExtensionSettings>} */
  async function saveSettings({ backendUrl, token, badge }) {
    /** @type {ExtensionSettings} */
    const settings = { backendUrl: normaliseBackend(backendUrl), token: String(token || "").trim() };
    if (badge !== undefined) settings.badge = badge;
    await ext.storage.local.set(settings);
    return settings;
  }

  function originPattern(backendUrl) {
    return `${new URL(backendUrl).origin}/*`;
  }

  class Client {
    /** @param {ExtensionSettings} settings */
    constructor(settings) {
      this.base = settings.backendUrl;
      this.token = settings.token;
    }

    url(path) {
      return this.base + path;
    }

    siteUrl(domain, suffix) {
      return this.url(`/v1/sites/${encodeURIComponent(domain)}/${suffix}`);
    }

    /**
     * @param {string} path
     * @param {{ method?: string, body?: unknown, auth?: boolean }} [options]
     * @returns {Promise<any>} the decoded JSON object; callers state its type
     */
    async request(path, { method = "GET", body, auth = false } = {}) {
      const url = path.startsWith("http") ? path : this.url(path);
      /** @type {Record<string, string>} */
      const headers = { Accept: "application/json" };
      if (body !== undefined) headers["Content-Type"] = "application/json";
      if (auth) headers.Authorization = `Bearer ${this.token}`;
      let response;
      try {
        response = await fetch(url, {
          method,
          headers,
          body: body === undefined ? undefined : JSON.stringify(body),
          cache: "no-cache", // revalidate (ETag): a fresh audit must show at once
          credentials: "omit",
          signal: AbortSignal.timeout(TIMEOUT_MS),
        });
      } catch (err) {
        const why = err && err.name === "TimeoutError" ? `no answer within ${TIMEOUT_MS / 1000} s` : "connection failed";
        throw new BackendError("unreachable", why, { url: this.base });
      }
      let data = null;
      try {
        data = await response.json();
      } catch (_err) {
        data = null;
      }
      if (!response.ok) {
        const detail = data && data.error ? data.error : {};
        throw new BackendError("http", detail.message || `HTTP ${response.status}`, {
          url, status: response.status, code: detail.code || null,
        });
      }
      if (data === null || typeof data !== "object") {
        throw new BackendError("bad_response", "the service answered, but not with JSON", { url, status: response.status });
      }
      return data;
    }

    // The summary, or null when the site has not been audited.
    /** @param {string} domain @returns {Promise<SiteSummary | null>} */
    async summary(domain) {
      try {
        return await this.request(`/v1/sites/${encodeURIComponent(domain)}/summary`);
      } catch (err) {
        if (err instanceof BackendError && err.status === 404) return null;
        throw err;
      }
    }

    report(domain) {
      return this.request(`/v1/sites/${encodeURIComponent(domain)}/report`);
    }

    // The newest queued or running crawl of a domain, or null.
    /** @param {string} domain @returns {Promise<JobView | null>} */
    async activeJob(domain) {
      /** @type {[JobList, JobList]} */
      const [running, queued] = await Promise.all([
        this.request("/v1/crawls?state=running&limit=100"),
        this.request("/v1/crawls?state=queued&limit=500"),
      ]);
      return [...running.jobs, ...queued.jobs].find((job) => job.domain === domain) || null;
    }

    /** @param {string} jobUrl @returns {Promise<JobView>} */
    job(jobUrl) {
      return this.request(new URL(jobUrl, this.base + "/").href);
    }

    // The knowledge map, or null when our ETag still matches (304): {etag, body}.
    /** @param {string | null} etag @returns {Promise<{ etag: string | null, body: KnowledgeMap } | null>} */
    async knowledgeDomains(etag) {
      const url = this.url("/v1/knowledge/domains");
      let response;
      try {
        response = await fetch(url, {
          headers: etag ? { Accept: "application/json", "If-None-Match": etag } : { Accept: "application/json" },
          cache: "no-store", credentials: "omit", signal: AbortSignal.timeout(TIMEOUT_MS),
        });
      } catch (_err) {
        throw new BackendError("unreachable", "connection failed", { url: this.base });
      }
      if (response.status === 304) return null;
      if (!response.ok) throw new BackendError("http", `HTTP ${response.status}`, { url, status: response.status });
      const body = await response.json();
      if (!body || typeof body.domains !== "object") throw new BackendError("bad_response", "not a knowledge map", { url });
      return { etag: response.headers.get("ETag"), body };
    }

    /** @param {string} domain @returns {Promise<JobView>} */
    async requestCrawl(domain) {
      /** @type {CrawlAccepted} */
      const accepted = await this.request("/v1/crawls", { method: "POST", body: { domain }, auth: true });
      return accepted.jobs[0];
    }
  }

  return Object.freeze({ DEFAULT_BACKEND, BackendError, Client, getSettings, saveSettings, normaliseBackend, originPattern });
})(globalThis);
