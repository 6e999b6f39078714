// The JSON the extension reads from the consentwatch service (docs/api.md). Each interface mirrors the
// msgspec struct of the same name (analyzer/report_model.py, api/schemas.py); tests/test_static_checks.py
// fails when a field is added, removed or made optional on one side only. msgspec writes every field,
// defaults included, so fields are optional here only for structs declared with omit_defaults.

/** GET /v1/sites/{domain}/summary: the popup's payload. */
interface SiteSummary {
  domain: string;
  audited_at: number; // epoch seconds
  grade: Grade;
  summary: string; // one sentence
  counts: Counts;
  policy_found: boolean;
  policy_url: string | null;
  signals: Record<string, Signal>; // "gpc", "dnt", "sale", "banner", …
  top_findings: SummaryFinding[];
  undeclared: string[];
  reachable: boolean;
  undeclared_by_company: CompanyTrackers[];
  declared_loaded: string[];
  declared_not_seen: DeclaredSentence[];
  banner: string | null; // the reject (else accept) visit's banner outcome; null: no banner visit
  partial: boolean;
  blocked: boolean;
  not_verified: string[];
  legal_notice: string | null;
}

interface Grade {
  letter: string;
  score: number;
  reasons: string[];
}

interface Counts {
  declared: number;
  loaded: number;
  undeclared: number;
  declared_not_seen: number;
}

interface Signal {
  policy: string; // the policy's stance, e.g. "honors", "silent", "no policy"; the banner on offer
  observed: string;
  contradicted: boolean;
  source: "privacy_policy" | "well_known_gpc_json" | null; // where the claim stands (dnt, gpc, sale)
}

interface SummaryFinding {
  code: string;
  severity: "high" | "medium" | "low" | "info";
  title: string;
  company_name: string | null;
  products: SummaryProduct[];
  references: RuleReference[];
}

interface SummaryProduct {
  id: string;
  name: string;
  company: string | null;
  category: string | null;
}

/** omit_defaults: `summary` is left out when null. */
interface RuleReference {
  id: string;
  jurisdiction: string;
  instrument: string;
  article: string;
  url: string;
  summary?: string | null;
}

interface CompanyTrackers {
  company: string;
  trackers: string[];
  evidence_urls: string[];
}

interface DeclaredSentence {
  name: string;
  sentence: string;
}

/** GET /v1/crawls/{id}, and each item of JobList / CrawlAccepted. */
interface JobView {
  id: number;
  url: string;
  domain: string;
  state: "queued" | "running" | "done" | "failed" | "cancelled";
  progress: string | null;
  queue_position: number | null;
  attempts: number;
  max_attempts: number;
  source: string;
  created_at: number;
  not_before: number;
  started_at: number | null;
  finished_at: number | null;
  error: string | null;
  worker: string | null;
  report_url: string | null;
  summary_url: string | null;
}

/** GET /v1/crawls?state=… */
interface JobList {
  jobs: JobView[];
}

/** POST /v1/crawls (202). */
interface CrawlAccepted {
  jobs: JobView[];
}

/** Any error answer. */
interface ErrorBody {
  error: ErrorDetail;
}

interface ErrorDetail {
  code: string;
  message: string;
}

/** GET /v1/knowledge/domains (docs/api.md "The knowledge map"): host suffix → [product, company, category]. */
interface KnowledgeMap {
  version: string;
  domains: Record<string, [string | null, string | null, string | null]>;
}

/** What the options page stores (storage.local), as lib/api.js reads it back. Not an API payload. */
interface ExtensionSettings {
  backendUrl: string;
  token: string;
  badge?: string;
}
