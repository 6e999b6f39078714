// The popup: what the service's latest audit says about the site of a tab, and what this tab is
// contacting right now. Opened by the toolbar button (the active tab), or as
// popup.html?tabId=N / popup.html?domain=example.com (tests, links).
/* global cwApi, cwDom, cwDomains, cwKnowledge, cwLive, cwSignals */
"use strict";

const ext = globalThis.browser ?? globalThis.chrome;
const { h, clear, disclosure, relativeTime } = cwDom;
const POLL_MS = 1000; // a job we are waiting for
const WATCH_MS = 3000; // a site without an audit: has one started meanwhile?

const PROGRESS_TEXT = { crawling: "Visiting the site in a browser…", analyzing: "Reading the policy and comparing…" };
const BANNER_TEXT = {
  done: "Banner answered",
  no_banner: "No cookie banner shown",
  no_reject_option: "Banner had no reject option",
  failed: "Could not operate the banner",
  not_attempted: "Banner not operated",
};
const LEVEL_TEXT = {
  product: "named in the policy",
  company: "its company is named in the policy",
  category: "only a vague category in the policy",
};

/**
 * `settings` and `client` are set first thing in main(), before anything reads them.
 * @type {{ tabId: number | null, tabUrl: string | null, site: string | null, settings: ExtensionSettings,
 *   client: InstanceType<typeof cwApi.Client>, summary: SiteSummary | null, report: object | null,
 *   pollTimer: ReturnType<typeof setTimeout> | null, auditDomains: Record<string, string> | null,
 *   knowledge: Awaited<ReturnType<typeof cwKnowledge.load>>, siteAccess: boolean }}
 */
const state = {
  tabId: null, // the tab whose site we show (null with ?domain= alone)
  tabUrl: null,
  site: null,
  settings: /** @type {any} */ (null),
  client: /** @type {any} */ (null),
  summary: null,
  report: null,
  pollTimer: null,
  auditDomains: null, // third-party domain → tracker name, from the report
  knowledge: null, // the service's domain → [product, company, category] map (cached)
  siteAccess: true, // host permission for every site: Firefox lets users withhold it (MV3)
};
const ALL_SITES = { origins: ["<all_urls>"] };

/** @param {string} id */
const $ = (id) => document.getElementById(id);
/** An element popup.html always has. @param {string} id @returns {HTMLElement} */
function must(id) {
  const el = $(id);
  if (!el) throw new Error(`popup.html has no #${id}`);
  return el;
}

// ------------------------------------------------------------------ start
document.addEventListener("DOMContentLoaded", () => {
  must("settings-link").addEventListener("click", openSettings);
  main().catch((err) => {
    console.error(err);
    showState("error", h("h2", {}, "Something went wrong"), h("p", { class: "detail" }, String(err && err.message)));
  });
});

async function main() {
  const params = new URLSearchParams(location.search);
  state.settings = await cwApi.getSettings();
  state.client = new cwApi.Client(state.settings);
  state.siteAccess = await ext.permissions.contains(ALL_SITES);
  loadKnowledge();
  await resolveTarget(params);
  renderHeader();
  if (!state.site && state.tabId !== null && !state.tabUrl && !state.siteAccess) {
    // Without the host permission the browser hides the tab's address: we can't tell a website
    // from a browser page until the user allows access.
    must("site").textContent = "Site hidden by the browser";
    showState("needs-access",
      h("h2", {}, "Allow consentwatch to read this tab"),
      h("p", {}, "Your browser hasn't given consentwatch access to websites, so it can't see which site this tab " +
        "shows or what it contacts."),
      h("div", { class: "actions" }, accessButton("allow-access", "primary")));
    return;
  }
  if (!state.site) {
    const where = state.tabUrl ? describeInternal(state.tabUrl) : "This page";
    showState("internal",
      h("h2", {}, "Nothing to audit on this page"),
      h("p", {}, `consentwatch audits websites. ${where} is part of the browser, not a website.`));
    return;
  }
  await loadSite();
}

async function resolveTarget(params) {
  const domain = params.get("domain");
  const tabParam = params.get("tabId");
  let tab = null;
  if (tabParam !== null) {
    tab = await ext.tabs.get(Number(tabParam)).catch(() => null);
  } else if (!domain) {
    [tab] = await ext.tabs.query({ active: true, currentWindow: true });
  }
  if (tab) {
    state.tabId = tab.id ?? null;
    state.tabUrl = tab.url || tab.pendingUrl || null;
  }
  if (domain) {
    state.site = cwDomains.registrableDomain(domain.trim().replace(/^https?:\/\//, "").split("/")[0]);
  } else {
    state.site = state.tabUrl ? cwDomains.siteOfUrl(state.tabUrl) : null;
  }
}

function describeInternal(url) {
  try {
    const parsed = new URL(url);
    return parsed.protocol === "about:" || parsed.protocol.endsWith("extension:") ? `“${parsed.protocol}…”` :
      `“${parsed.protocol}//${parsed.host}”`;
  } catch (_err) {
    return "This page";
  }
}

// The knowledge map arrives when it does (cache first); the live view is drawn again with it.
function loadKnowledge() {
  cwKnowledge.load(state.client).then((knowledge) => {
    state.knowledge = knowledge;
    if (knowledge) loadLive();
  }, (err) => console.warn("consentwatch:", err));
}

// The badge of every tab on this site follows what the popup learned.
function notifySiteChanged() {
  Promise.resolve(ext.runtime.sendMessage({ type: "site-changed", site: state.site })).catch(() => null);
}

// ------------------------------------------------------------------ header & footer
function renderHeader() {
  must("site").textContent = state.site || "No website";
  clear($("audit-meta"));
  must("report-link").hidden = true;
}

/** @param {SiteSummary} summary */
function renderAuditMeta(summary) {
  const meta = clear($("audit-meta"));
  const when = new Date(summary.audited_at * 1000);
  meta.append(
    h("span", {}, "Audited ", h("time", { datetime: when.toISOString(), title: when.toLocaleString() },
      relativeTime(summary.audited_at))),
    " · ",
    summary.policy_found && summary.policy_url ?
      h("a", { href: summary.policy_url, target: "_blank", rel: "noreferrer", id: "policy-link" }, "Privacy policy") :
      h("span", { id: "policy-link-missing" }, "No privacy policy found"),
  );
  const report = /** @type {HTMLAnchorElement} */ (must("report-link"));
  report.href = state.client.siteUrl(summary.domain, "report.html");
  report.hidden = false;
}

function openSettings(event) {
  event.preventDefault();
  ext.runtime.openOptionsPage();
}

// ------------------------------------------------------------------ states
function showState(name, ...children) {
  stopPolling();
  const content = clear($("content"));
  content.dataset.state = name;
  content.setAttribute("aria-busy", "false");
  content.append(h("section", { class: `state state-${name}`, "aria-labelledby": "state-title" }, children));
  const title = content.querySelector("h2");
  if (title) title.id = "state-title";
  return content;
}

function problem(err) {
  const message = err instanceof cwApi.BackendError ? err.message : String(err && err.message);
  return h("p", { class: "problem", role: "alert" }, h("span", { "aria-hidden": "true" }, "✗ "), message);
}

function unreachable(err) {
  showState("unreachable",
    h("h2", {}, "Can't reach the consentwatch service"),
    h("p", {}, "The extension asked ", h("code", { id: "backend-url" }, state.settings.backendUrl),
      ` and got no answer (${err.message}).`),
    h("p", {}, "Start the service (", h("code", {}, "consentwatch serve"), ") or point the extension at another one."),
    h("div", { class: "actions" },
      h("a", { href: "options.html", class: "button", id: "open-settings", onclick: openSettings }, "Open settings"),
      h("button", { type: "button", id: "retry", onclick: () => restart() }, "Try again")),
    liveSection());
  loadLive();
}

async function restart() {
  must("content").setAttribute("aria-busy", "true");
  state.settings = await cwApi.getSettings(); // they may have changed in the options page meanwhile
  state.client = new cwApi.Client(state.settings);
  return loadSite().catch((err) => problemState(err));
}

function problemState(err) {
  if (err instanceof cwApi.BackendError && err.kind === "unreachable") return unreachable(err);
  showState("error", h("h2", {}, "The service answered with an error"), problem(err),
    h("div", { class: "actions" }, h("button", { type: "button", onclick: () => restart() }, "Try again")));
}

async function loadSite() {
  state.auditDomains = null;
  state.report = null;
  let summary;
  let job;
  try {
    const site = /** @type {string} */ (state.site); // only called for a web site
    [summary, job] = await Promise.all([state.client.summary(site), state.client.activeJob(site)]);
  } catch (err) {
    problemState(err);
    return;
  }
  state.summary = summary;
  notifySiteChanged();
  if (!summary) {
    if (job) running(job);
    else notAudited();
    return;
  }
  renderAuditMeta(summary);
  renderResult(summary, job);
  try {
    const report = await state.client.report(state.site);
    if (report.audited_at !== summary.audited_at) return restart(); // a newer audit landed in between
    state.report = report;
    renderDetails(summary, report);
  } catch (err) {
    if (err instanceof cwApi.BackendError && err.kind === "unreachable") return unreachable(err);
    renderDetails(summary, null); // the summary's lists, without categories and sentences
    must("sections").prepend(problem(err));
  }
}

function notAudited(error) {
  const hasToken = Boolean(state.settings.token);
  showState("not-audited",
    h("h2", {}, "Not audited yet"),
    h("p", {}, "The consentwatch service has no audit of ", h("strong", {}, state.site), " yet."),
    h("div", { class: "actions" },
      h("button", { type: "button", id: "request-audit", class: "primary", disabled: !hasToken,
        "aria-describedby": hasToken ? null : "token-needed", onclick: requestAudit }, "Request audit")),
    hasToken ? null : h("p", { id: "token-needed", class: "hint" },
      "Requesting an audit needs an API token. ",
      h("a", { href: "options.html", onclick: openSettings }, "Add one in settings"), "."),
    error ? problem(error) : null,
    liveSection());
  loadLive();
  watchForAudit();
}

// Someone else may request this site's audit (another browser, the CLI): show it when it starts
// or lands, without reopening the popup.
function watchForAudit() {
  state.pollTimer = setTimeout(async () => {
    let summary;
    let job;
    try {
      const site = /** @type {string} */ (state.site);
      [summary, job] = await Promise.all([state.client.summary(site), state.client.activeJob(site)]);
    } catch (_err) {
      watchForAudit(); // a passing failure: the next look may work
      return;
    }
    if (summary) restart();
    else if (job) running(job);
    else watchForAudit();
  }, WATCH_MS);
}

async function requestAudit(event) {
  const button = event.currentTarget;
  button.disabled = true;
  button.textContent = "Requesting…";
  try {
    running(await state.client.requestCrawl(/** @type {string} */ (state.site)));
  } catch (err) {
    if (err instanceof cwApi.BackendError && err.kind === "unreachable") return unreachable(err);
    const message = err.status === 401 ? "The service refused the API token. Check it in settings." : err.message;
    if (state.summary) {
      button.disabled = false;
      button.textContent = "Re-audit";
      button.after(h("p", { class: "problem", role: "alert" }, h("span", { "aria-hidden": "true" }, "✗ "), message));
    } else {
      notAudited(new Error(message));
    }
  }
}

/** @param {JobView} job */
function progressText(job) {
  if (job.state === "queued") {
    return job.queue_position ? `Queued, ${job.queue_position} ahead…` : "Queued, starting soon…";
  }
  return PROGRESS_TEXT[job.progress] || "Auditing…";
}

// The background watches a running audit too: the badge changes when it ends, popup open or not.
/** @param {JobView} job */
function watchInBackground(job) {
  Promise.resolve(ext.runtime.sendMessage({ type: "audit-running", site: job.domain, job: job.url })).catch(() => null);
}

/** @param {JobView} job */
function running(job) {
  watchInBackground(job);
  showState("running",
    h("h2", {}, "Audit running"),
    h("p", {}, "The service is visiting ", h("strong", {}, job.domain),
      " in a real browser and reading its privacy policy. This takes a few seconds to a minute."),
    h("progress", { "aria-label": "Audit progress", id: "audit-progress" }),
    h("p", { id: "job-progress", class: "progress-text", role: "status" }, progressText(job)),
    liveSection());
  loadLive();
  poll(job);
}

/** @param {JobView} job */
function poll(job) {
  state.pollTimer = setTimeout(async () => {
    let current;
    try {
      current = await state.client.job(job.url);
    } catch (err) {
      if (err instanceof cwApi.BackendError && err.kind === "unreachable") return unreachable(err);
      poll(job);
      return;
    }
    if (current.state === "done") {
      restart();
    } else if (current.state === "failed" || current.state === "cancelled") {
      showState("audit-failed",
        h("h2", {}, current.state === "failed" ? "The audit failed" : "The audit was cancelled"),
        h("p", { class: "detail" }, current.error || "No reason given."),
        h("div", { class: "actions" },
          h("button", { type: "button", id: "request-audit", class: "primary", onclick: requestAudit }, "Try again")));
    } else {
      const text = $("job-progress");
      if (text) text.textContent = progressText(current);
      poll(current);
    }
  }, POLL_MS);
}

function stopPolling() {
  if (state.pollTimer !== null) clearTimeout(state.pollTimer);
  state.pollTimer = null;
}

// ------------------------------------------------------------------ the result
function verdict(ok, text) {
  // Never colour alone: a symbol and words, the colour only repeats them.
  const cls = ok === true ? "ok" : ok === false ? "bad" : "neutral";
  const symbol = ok === true ? "✓" : ok === false ? "✗" : "–";
  return h("span", { class: `verdict verdict-${cls}` }, h("span", { class: "symbol", "aria-hidden": "true" }, symbol),
    " ", text);
}

/** @param {SiteSummary} summary @param {JobView | null} job */
function renderResult(summary, job) {
  const noPolicy = !summary.policy_found;
  const content = showState(noPolicy ? "no-policy" : "result",
    h("h2", { class: "visually-hidden" }, "Audit result"),
    h("p", { id: "insight", class: `insight ${summary.reachable ? "" : "insight-unreachable"}`.trim() }, summary.summary),
    h("p", { class: "grade" }, `Grade ${summary.grade.letter} (${summary.grade.score}/100)`,
      summary.partial ? " · the audit was partial" : ""),
    noPolicy ? h("p", { class: "callout", id: "no-policy" },
      "We looked for a link to a privacy policy on the site and found none, so there is nothing to compare what " +
      "loads against: no \u201cdeclared\u201d counts, only what loads.") : null,
    job ? h("p", { class: "callout", role: "status", id: "reaudit-running" }, "A new audit is running: ",
      progressText(job)) : null,
    counts(summary),
    topFindings(summary),
    signalsTable(summary, null),
    h("div", { id: "sections" }, h("p", { class: "loading" }, "Loading details…")),
    liveSection(),
  );
  if (job) {
    watchInBackground(job);
    pollReaudit(job);
  }
  loadLive();
  return content;
}

// The most severe findings, each with one line of the rules it may touch (issue 14 §5): pointers to the
// official texts, never legal advice (the report's own wording rides along as summary.legal_notice).
/** @param {SiteSummary} summary */
function topFindings(summary) {
  const findings = summary.top_findings || [];
  if (!findings.length) return null;
  return h("section", { class: "top-findings", id: "top-findings", "aria-labelledby": "top-findings-title" },
    h("h3", { id: "top-findings-title" }, "Top findings"),
    h("ul", {}, findings.map((f) => h("li", { class: "top-finding", "data-code": f.code },
      h("p", { class: "finding" }, h("span", { class: `severity severity-${f.severity}` }, f.severity), " ", f.title),
      (f.references || []).length ? h("p", { class: "rules", title: summary.legal_notice || null },
        "Rules this may touch: ", f.references.map((r, i) => [i ? "; " : "", ruleLink(r)])) : null))),
    findings.some((f) => (f.references || []).length) && summary.legal_notice ?
      h("p", { class: "rules-notice" }, summary.legal_notice) : null);
}

function ruleLink(rule) {
  const label = `${rule.instrument} ${rule.article}`;
  return /^https:\/\//.test(rule.url) ?
    h("a", { href: rule.url, target: "_blank", rel: "noreferrer", "data-rule": rule.id }, label) :
    h("span", { "data-rule": rule.id }, label);
}

/** @param {JobView} job */
function pollReaudit(job) {
  state.pollTimer = setTimeout(async () => {
    const current = await state.client.job(job.url).catch(() => job);
    if (current.state === "queued" || current.state === "running") {
      const note = $("reaudit-running");
      if (note && note.lastChild) note.lastChild.textContent = progressText(current);
      pollReaudit(current);
    } else {
      restart();
    }
  }, POLL_MS);
}

/** @param {SiteSummary} summary */
function counts(summary) {
  const noPolicy = !summary.policy_found;
  const c = summary.counts;
  const item = (key, label, value, note) => h("div", { class: `count count-${key}` },
    h("dt", {}, label), h("dd", {}, h("span", { class: "number" }, value), note ? h("span", { class: "note" }, note) : null));
  return h("dl", { class: "counts", "aria-label": "Counts" },
    item("declared", "Declared", noPolicy ? "—" : String(c.declared), noPolicy ? "no policy" : null),
    item("loaded", "Loaded", String(c.loaded)),
    item("undeclared", "Undeclared", noPolicy ? "—" : String(c.undeclared), noPolicy ? "no policy" : null),
    item("not-seen", "Declared, not seen", noPolicy ? "—" : String(c.declared_not_seen), noPolicy ? "no policy" : null));
}

function signalVerdict(name, signal) {
  const { ok, text } = cwSignals.verdictOf(name, signal);
  return verdict(ok, text);
}

/** @param {SiteSummary} summary */
function signalsTable(summary, report) {
  const analysis = report && report.policy && report.policy.analysis;
  const quote = (key, label) => {
    const evidence = analysis && analysis[key] && analysis[key].evidence;
    return evidence && evidence.length ? quoteToggle(evidence[0], `the policy's sentence on ${label}`) : null;
  };
  const row = (key, label) => {
    const signal = summary.signals[key];
    return h("tr", { "data-signal": key },
      h("th", { scope: "row" }, h("span", { class: "signal-name" }, label), signalVerdict(key, signal)),
      h("td", {}, signal ? cwSignals.stanceText(signal) : "—", quote(key, label)),
      h("td", {}, signal ? signal.observed : "not tested"));
  };
  return h("table", { class: "signals", id: "signals" },
    h("caption", {}, "Privacy signals: what the policy says vs what we saw"),
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Signal and verdict"), h("th", { scope: "col" }, "Policy says"),
      h("th", { scope: "col" }, "We saw"))),
    h("tbody", {}, row("dnt", "Do Not Track"), row("gpc", "Global Privacy Control"),
      summary.signals.sale ? row("sale", "Selling data") : null, bannerRow(summary)));
}

// The cookie banner: what it offered, what the reject (else accept) visit did, and whether
// trackers respected the answer (signals.banner, when the audit made banner visits).
/** @param {SiteSummary} summary */
function bannerRow(summary) {
  const signal = summary.signals.banner;
  const outcome = summary.banner; // reject visit's outcome (else accept's), or null: no banner visit
  let judged;
  if (signal && signal.contradicted) {
    judged = outcome === "no_reject_option" ? verdict(false, "No reject option") : verdict(false, "Reject not honoured");
  } else if (outcome === "done") {
    judged = signal ? verdict(true, "Reject honoured") : verdict(null, "Answered, effect not analysed");
  } else if (outcome === "no_reject_option") {
    judged = verdict(false, "No reject option");
  } else if (outcome === "no_banner") {
    judged = verdict(null, "No banner shown");
  } else if (outcome === "failed") {
    judged = verdict(null, "Could not answer it");
  } else {
    judged = verdict(null, "Not tested");
  }
  const observed = signal ? signal.observed : outcome ? (BANNER_TEXT[outcome] || outcome) : "No reject visit in this audit";
  return h("tr", { "data-signal": "banner" },
    h("th", { scope: "row" }, h("span", { class: "signal-name" }, "Cookie banner"), judged),
    h("td", {}, signal && !["not tested", "no banner"].includes(signal.policy) ? `Banner: ${signal.policy}` : "—"),
    h("td", {}, observed));
}

// A policy sentence behind a small toggle, so the table stays readable at popup width.
function quoteToggle(text, what) {
  const id = cwDom.uid("quote");
  const quote = h("q", { id, class: "policy-quote", hidden: true }, text);
  const button = h("button", {
    type: "button", class: "quote-toggle", "aria-expanded": "false", "aria-controls": id, "aria-label": `Quote ${what}`,
    onclick: () => {
      const open = button.getAttribute("aria-expanded") === "true";
      button.setAttribute("aria-expanded", String(!open));
      quote.hidden = open;
    },
  }, "Quote");
  return h("span", { class: "quote-wrap" }, " ", button, quote);
}

// ------------------------------------------------------------------ the lists (from the full report)
function isKnown(t) {
  return t.source !== "unattributed" && Boolean(t.product_id || t.company_id);
}

/** @param {SiteSummary} summary */
function model(summary, report) {
  if (!report) {
    // The summary alone: names, grouped by company, and the sentences of declared-not-seen.
    return {
      undeclared: summary.undeclared_by_company.map((g) => ({
        company: g.company,
        trackers: g.trackers.map((name, i) => ({ name, category: null, declared: "none", sentence: null,
          evidence: i === 0 ? g.evidence_urls : [] })),
      })),
      declaredLoaded: summary.declared_loaded.map((name) => ({ name, company: null, category: null, level: null, sentence: null })),
      notSeen: summary.declared_not_seen,
      others: [],
    };
  }
  const known = report.trackers.filter(isKnown);
  const groups = new Map();
  for (const t of known.filter((x) => x.declared === "none" || x.declared === "negated")) {
    const company = t.company_name || t.name;
    if (!groups.has(company)) groups.set(company, { company, trackers: [] });
    groups.get(company).trackers.push({ name: t.name, category: t.category, declared: t.declared,
      sentence: t.declaration_sentence, evidence: t.evidence_urls, cookies: t.cookies, firstParty: t.first_party });
  }
  return {
    undeclared: [...groups.values()].sort((a, b) => b.trackers.length - a.trackers.length || a.company.localeCompare(b.company)),
    declaredLoaded: known.filter((t) => t.declared !== "none" && t.declared !== "negated").map((t) => ({
      name: t.name, company: t.company_name, category: t.category, level: t.declared, sentence: t.declaration_sentence,
    })),
    notSeen: report.declared_not_seen.map((d) => ({ name: d.name, sentence: d.sentence })),
    others: report.trackers.filter((t) => !isKnown(t) && !t.first_party),
  };
}

/** @param {SiteSummary} summary */
function renderDetails(summary, report) {
  const table = $("signals");
  if (table && report) table.replaceWith(signalsTable(summary, report));
  const m = model(summary, report);
  const sections = clear($("sections"));
  if (!summary.policy_found) {
    sections.append(disclosure("Trackers loaded (no policy to compare with)", trackerGroups(m.undeclared, false),
      { count: m.undeclared.reduce((n, g) => n + g.trackers.length, 0), className: "section-loaded" }));
  } else {
    sections.append(
      disclosure("Loaded but not declared", trackerGroups(m.undeclared, true),
        { count: m.undeclared.reduce((n, g) => n + g.trackers.length, 0), className: "section-undeclared" }),
      disclosure("Declared and loaded", declaredLoaded(m.declaredLoaded),
        { count: m.declaredLoaded.length, className: "section-declared-loaded" }),
      disclosure("Declared but not seen", notSeen(m.notSeen),
        { count: m.notSeen.length, className: "section-not-seen" }));
  }
  if (m.others.length) {
    sections.append(disclosure("Other third parties (not known trackers)", otherParties(m.others),
      { count: m.others.length, className: "section-others" }));
  }
  state.auditDomains = auditDomains(report, summary);
  loadLive();
}

function empty(text) {
  return h("p", { class: "empty" }, text);
}

function trackerGroups(groups, policyFound) {
  if (!groups.length) return empty(policyFound ? "None: every tracker we saw is declared." : "No trackers loaded.");
  return h("ul", { class: "groups" }, groups.map((g) => h("li", { class: "group" },
    h("h4", { class: "company" }, g.company),
    h("ul", { class: "trackers" }, g.trackers.map((t) => h("li", { class: "tracker" },
      h("div", { class: "tracker-line" },
        verdict(false, t.name), t.category ? h("span", { class: "category" }, t.category.replace(/-/g, " ")) : null),
      t.declared === "negated" ? h("p", { class: "finding" }, "The policy says it isn't used: ",
        t.sentence ? h("q", { class: "policy-quote" }, t.sentence) : null) : null,
      t.declared === "none" && policyFound ? h("p", { class: "finding" }, "The policy doesn't mention it.") : null,
      evidence(t)))))));
}

function evidence(t) {
  const urls = t.evidence || [];
  if (!urls.length && !(t.cookies || []).length) return null;
  return disclosure(`Evidence for ${t.name}`, [
    urls.length ? h("ul", { class: "evidence" }, urls.map((url) => h("li", {},
      h("code", { class: "url" }, url),
      h("button", { type: "button", class: "copy", "aria-label": `Copy URL ${url}`, onclick: (e) => copy(e, url) }, "Copy")))) : null,
    (t.cookies || []).length ? h("p", { class: "cookies" }, "Cookies: ", t.cookies.join(", ")) : null,
  ], { level: 5, count: urls.length + (t.cookies || []).length, className: "evidence-disclosure" });
}

async function copy(event, text) {
  const button = event.currentTarget;
  try {
    await navigator.clipboard.writeText(text);
    button.textContent = "Copied";
  } catch (_err) {
    button.textContent = "Copy failed";
  }
  // Reset when the user moves on, not on a timer: the confirmation stays until it has been seen.
  button.addEventListener("blur", () => { button.textContent = "Copy"; }, { once: true });
}

function declaredLoaded(items) {
  if (!items.length) return empty("None of the trackers we saw is declared.");
  return h("ul", { class: "trackers" }, items.map((t) => h("li", { class: "tracker" },
    h("div", { class: "tracker-line" },
      t.level === "category" ? verdict(null, t.name) : verdict(true, t.name),
      t.company && t.company !== t.name ? h("span", { class: "company-inline" }, t.company) : null,
      t.category ? h("span", { class: "category" }, t.category.replace(/-/g, " ")) : null),
    t.level ? h("p", { class: "finding" }, `Declared: ${LEVEL_TEXT[t.level] || t.level}`,
      t.sentence ? [": ", h("q", { class: "policy-quote" }, t.sentence)] : ".") : null)));
}

function notSeen(items) {
  if (!items.length) return empty("Everything the policy names was seen.");
  return h("ul", { class: "trackers" }, items.map((d) => h("li", { class: "tracker" },
    h("div", { class: "tracker-line" }, verdict(null, d.name)),
    h("p", { class: "finding" }, "Named in the policy but not seen in our visits: ",
      h("q", { class: "policy-quote" }, d.sentence)))));
}

function otherParties(items) {
  return h("ul", { class: "trackers" }, items.map((t) => h("li", { class: "tracker" },
    h("div", { class: "tracker-line" }, h("span", { class: "domain" }, t.name),
      h("span", { class: "note" }, `${t.request_count} request${t.request_count === 1 ? "" : "s"}`)),
    evidence(t))));
}

// Third-party domains the audit saw, each with the tracker it belonged to (null: unknown party).
/** @param {SiteSummary} summary */
function auditDomains(report, summary) {
  /** @type {Record<string, string>} */
  const out = {};
  const add = (host, name) => {
    if (!host) return;
    const domain = cwDomains.registrableDomain(host.replace(/^\./, ""));
    if (domain && domain !== summary.domain && !(domain in out && out[domain])) out[domain] = name;
  };
  if (!report) {
    for (const g of summary.undeclared_by_company) for (const url of g.evidence_urls) add(cwDomains.hostOfUrl(url), g.company);
    return out;
  }
  for (const t of report.trackers) {
    const name = isKnown(t) ? t.name : null;
    if (t.key.startsWith("host:")) add(t.key.slice(5), name);
    for (const url of t.evidence_urls) add(cwDomains.hostOfUrl(url), name);
    for (const cookie of t.cookies) add(cookie.split(" @ ")[1], name);
  }
  for (const f of report.findings) for (const e of f.evidence) if (e.url) add(cwDomains.hostOfUrl(e.url), null);
  return out;
}

// ------------------------------------------------------------------ site access (Firefox)
// Firefox treats MV3 host permissions as optional: a user may withhold or revoke them. Asking
// needs the click itself (no await before permissions.request), then the popup starts over.
function accessButton(id, className) {
  return h("button", { type: "button", id, class: className, onclick: () => {
    ext.permissions.request(ALL_SITES).then((granted) => {
      if (granted) location.reload();
    }, (err) => console.error("consentwatch:", err));
  } }, "Allow access to websites");
}

// ------------------------------------------------------------------ live on this tab
function liveSection() {
  return h("section", { class: "live", id: "live", "aria-labelledby": "live-title" },
    h("h3", { id: "live-title" }, "Live on this tab"),
    h("div", { id: "live-body" }, h("p", { class: "loading" }, "Reading this tab's requests…")));
}

async function loadLive() {
  const body = $("live-body");
  if (!body) return;
  if (state.tabId === null) {
    clear(body).append(empty("Open the popup from a tab to see what that tab contacts."));
    return;
  }
  const key = cwLive.keyOf(state.tabId);
  const entry = (await ext.storage.session.get(key))[key] || null;
  renderLive(entry);
}

function renderLive(entry) {
  const body = $("live-body");
  if (!body) return;
  clear(body);
  const reload = () => h("button", { type: "button", id: "reload-tab", onclick: () => state.tabId !== null && ext.tabs.reload(state.tabId) },
    "Reload the page");
  const tabSite = state.tabUrl ? cwDomains.siteOfUrl(state.tabUrl) : null;
  if (!state.siteAccess) {
    body.append(h("p", { class: "callout", id: "live-access" }, h("strong", {}, "No access to websites. "),
      "The browser doesn't let consentwatch see the requests this tab makes."), accessButton("allow-live-access", ""));
    return;
  }
  if (!entry || entry.site !== tabSite) {
    body.append(h("p", { class: "callout", id: "live-reload" }, h("strong", {}, "Reload to see live requests. "),
      "This page was already open when consentwatch started watching, so we don't know what it contacted."), reload());
    return;
  }
  const audited = state.summary && state.auditDomains ? state.auditDomains : null;
  const result = cwLive.compare(entry, audited || {});
  const list = result.parties;
  if (!entry.complete) {
    body.append(h("p", { class: "callout", id: "live-reload" }, h("strong", {}, "Reload to see live requests. "),
      "consentwatch started watching after this page loaded; below is only what it contacted since."), reload());
  }
  if (!list.length) {
    body.append(h("p", { id: "live-sentence", class: "live-sentence" }, "This tab hasn't contacted any third parties."));
    return;
  }
  const n = list.length;
  let sentence = `This tab contacted ${n} third part${n === 1 ? "y" : "ies"}.`;
  if (audited) {
    const k = result.notInAudit.length;
    sentence = k ? `${k} third part${k === 1 ? "y" : "ies"} not in our audit` +
      ` (of ${n} this tab contacted).` : `All ${n} third part${n === 1 ? "y" : "ies"} this tab contacted ${n === 1 ? "is" : "are"} in our audit.`;
  }
  body.append(h("p", { id: "live-sentence", class: "live-sentence" }, sentence));
  if (audited && result.notInAudit.length) {
    const hasToken = Boolean(state.settings.token);
    cwDom.append(body, [h("button", { type: "button", id: "reaudit", disabled: !hasToken,
      "aria-describedby": hasToken ? null : "reaudit-token", onclick: requestAudit }, "Re-audit"),
    hasToken ? null : h("p", { id: "reaudit-token", class: "hint" }, "Re-auditing needs an API token: ",
      h("a", { href: "options.html", onclick: openSettings }, "add one in settings"), ".")]);
  }
  const item = (p) => {
    const known = cwKnowledge.identify(state.knowledge, p);
    const who = p.auditName || knownLabel(known);
    return h("li", { class: "party", "data-domain": p.domain, "data-in-audit": audited ? String(p.inAudit) : null,
      "data-company": known ? known.company : null },
    h("span", { class: "party-name" }, h("span", { class: "domain" }, p.domain),
      h("span", { class: "note" }, [who, `${p.requests} request${p.requests === 1 ? "" : "s"}`]
        .filter(Boolean).join(" · "))),
    audited ? (p.inAudit ? verdict(true, "in audit") : verdict(false, "not in our audit")) : null);
  };
  if (audited || !state.knowledge) {
    body.append(h("ul", { class: "live-parties", "aria-label": "Third parties contacted by this tab" }, list.map(item)));
  } else {
    body.append(...byCategory(list, item));
  }
  if (entry.dropped) body.append(h("p", { class: "note" }, `and ${entry.dropped} more requests to other parties`));
}

const CATEGORY_TEXT = {
  advertising: "Advertising", analytics: "Analytics", "session-recording": "Session recording", social: "Social",
  "tag-manager": "Tag managers", "consent-manager": "Consent managers", "embedded-content": "Embedded content",
  functional: "Functional", "": "Other companies we know", null: "Not in our knowledge",
};

function knownLabel(known) {
  if (!known) return null;
  return known.product && known.product !== known.company ? `${known.product} (${known.company})` : known.company;
}

// Not audited (yet): the companies behind the tab's third parties, by category, from the
// service's knowledge map (cached: works offline too).
function byCategory(list, item) {
  /** @type {Map<string, object[]>} */
  const groups = new Map(Object.keys(CATEGORY_TEXT).map((key) => [key, []]));
  const companies = new Set();
  for (const p of list) {
    const known = cwKnowledge.identify(state.knowledge, p);
    if (known) companies.add(known.company);
    // a category this popup has no heading for yet goes with "Other companies we know", not into a crash
    const key = !known ? "null" : known.category && groups.has(known.category) ? known.category : "";
    /** @type {object[]} */ (groups.get(key)).push(p);
  }
  const out = [];
  if (companies.size) {
    out.push(h("p", { id: "live-companies", class: "live-companies" }, "Companies behind them: ",
      [...companies].sort((a, b) => a.localeCompare(b)).join(", "), "."));
  }
  for (const [key, parties] of groups) {
    if (!parties.length) continue;
    const id = cwDom.uid("category");
    out.push(h("h4", { id, class: "live-category", "data-category": key }, CATEGORY_TEXT[key],
      h("span", { class: "count-badge" }, String(parties.length))),
    h("ul", { class: "live-parties", "aria-labelledby": id }, parties.map(item)));
  }
  return out;
}

// Keep the live list current while the popup is open.
function onSessionChanged(changes) {
  if (state.tabId === null) return;
  const change = changes[cwLive.keyOf(state.tabId)];
  if (change && $("live-body")) renderLive(change.newValue || null);
}
if (ext.storage.session.onChanged) {
  ext.storage.session.onChanged.addListener(onSessionChanged);
} else {
  ext.storage.onChanged.addListener((changes, area) => { if (area === "session") onSessionChanged(changes); });
}
