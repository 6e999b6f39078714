// Builds the store packages from extension/: dist/consentwatch-chrome-VERSION.zip (Chrome Web
// Store) and dist/consentwatch-firefox-VERSION.zip (addons.mozilla.org), each with the manifest its
// browser reads (Chrome: background.service_worker; Firefox: background.scripts and its gecko id),
// then lints both. The one version is extension/manifest.json's "version".
//   node extension/tools/package.mjs            (make extension)
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const source = join(here, "..");
const root = join(source, "..");
const dist = join(root, "dist");
const webExt = join(root, "node_modules", ".bin", "web-ext");
const LEFT_OUT = ["tools", "README.md", "types", "tsconfig.json"]; // development only (types: the type check)

const manifest = JSON.parse(readFileSync(join(source, "manifest.json"), "utf8"));
const version = manifest.version;

function forChrome(m) {
  const { browser_specific_settings: _gecko, ...rest } = m;
  return { ...rest, background: { service_worker: m.background.service_worker } };
}

function forFirefox(m) {
  const { minimum_chrome_version: _chrome, ...rest } = m;
  return { ...rest, background: { scripts: m.background.scripts } };
}

// Files a manifest and the extension's pages load must be in the package.
function referencedFiles(m, dir) {
  const files = new Set([...Object.values(m.icons), ...Object.values(m.action.default_icon), m.action.default_popup,
    m.options_ui.page, ...(m.background.scripts || []), ...(m.background.service_worker ? [m.background.service_worker] : [])]);
  for (const page of ["popup.html", "options.html", "how.html"]) {
    const html = readFileSync(join(dir, page), "utf8");
    for (const match of html.matchAll(/(?:src|href)="([^":#?]+)"/g)) files.add(match[1]);
  }
  if (m.background.service_worker) {
    const worker = readFileSync(join(dir, m.background.service_worker), "utf8");
    for (const match of worker.matchAll(/"((?:vendor|lib)\/[^"]+\.js)"/g)) files.add(match[1]);
  }
  return [...files];
}

function lintChrome(m, dir) {
  const problems = [];
  if (m.manifest_version !== 3) problems.push("manifest_version must be 3");
  if (!m.background.service_worker || m.background.scripts) problems.push("Chrome runs background.service_worker only");
  if (m.browser_specific_settings) problems.push("browser_specific_settings is Firefox's");
  if (!/^\d+(\.\d+){0,3}$/.test(m.version)) problems.push(`version ${m.version} is not 1-4 dot-separated integers`);
  if (m.description.length > 132) problems.push("description is longer than 132 characters");
  for (const file of referencedFiles(m, dir)) if (!existsSync(join(dir, file))) problems.push(`missing ${file}`);
  return problems;
}

function stage(name, transform) {
  const dir = join(dist, name);
  rmSync(dir, { recursive: true, force: true });
  cpSync(source, dir, { recursive: true, filter: (path) => !LEFT_OUT.some((left) => path === join(source, left)) });
  const m = transform(manifest);
  writeFileSync(join(dir, "manifest.json"), JSON.stringify(m, null, 2) + "\n");
  return [dir, m];
}

function build(dir, filename) {
  execFileSync(webExt, ["build", "--source-dir", dir, "--artifacts-dir", dist, "--filename", filename, "--overwrite-dest",
    "--no-config-discovery"], { stdio: ["ignore", "ignore", "inherit"], env: { ...process.env, NO_UPDATE_NOTIFIER: "1" } });
  return join(dist, filename);
}

mkdirSync(dist, { recursive: true });
const [chromeDir, chromeManifest] = stage("chrome", forChrome);
const chromeProblems = lintChrome(chromeManifest, chromeDir);
if (chromeProblems.length) {
  console.error(`Chrome package: ${chromeProblems.join("; ")}`);
  process.exit(1);
}
const chromeZip = build(chromeDir, `consentwatch-chrome-${version}.zip`);

const [firefoxDir] = stage("firefox", forFirefox);
const lint = JSON.parse(execFileSync(webExt, ["lint", "--source-dir", firefoxDir, "--output", "json", "--no-config-discovery"],
  { encoding: "utf8", env: { ...process.env, NO_UPDATE_NOTIFIER: "1" } }));
const findings = [...lint.errors, ...lint.warnings, ...lint.notices];
if (findings.length) {
  console.error(`Firefox package: ${findings.map((f) => `${f.code}: ${f.message}`).join("; ")}`);
  process.exit(1);
}
const firefoxZip = build(firefoxDir, `consentwatch-firefox-${version}.zip`);
console.log(JSON.stringify({ version, chrome: chromeZip, firefox: firefoxZip }));
