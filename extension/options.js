// Options: the service URL and the API token. A service on a host the extension may not reach
// yet gets its host permission requested here, at runtime (Firefox grants none by default).
/* global cwApi, cwBadge */
"use strict";

const ext = globalThis.browser ?? globalThis.chrome;
/** @param {string} id @returns {HTMLElement} */
function $(id) {
  const el = document.getElementById(id);
  if (!el) throw new Error(`options.html has no #${id}`);
  return el;
}
/** The form's text fields. @param {"backend-url" | "token"} id */
const field = (id) => /** @type {HTMLInputElement} */ ($(id));

function say(text, ok) {
  const status = $("status");
  status.textContent = text;
  status.className = `status ${ok === true ? "ok" : ok === false ? "bad" : ""}`.trim();
}

async function ensureHostPermission(backendUrl) {
  const origins = [cwApi.originPattern(backendUrl)];
  if (await ext.permissions.contains({ origins })) return true;
  return ext.permissions.request({ origins }); // needs the click that submitted the form
}

async function save(event) {
  event.preventDefault();
  let settings;
  try {
    const badge = /** @type {HTMLInputElement | null} */ (document.querySelector('input[name="badge"]:checked'));
    settings = await cwApi.saveSettings({ backendUrl: field("backend-url").value, token: field("token").value,
      badge: cwBadge.normaliseMode(badge && badge.value) });
  } catch (err) {
    say(`✗ Not saved: ${err.message}`, false);
    $("backend-url").setAttribute("aria-invalid", "true");
    $("backend-url").focus();
    return;
  }
  $("backend-url").removeAttribute("aria-invalid");
  field("backend-url").value = settings.backendUrl;
  let granted = false;
  try {
    granted = await ensureHostPermission(settings.backendUrl);
  } catch (_err) {
    granted = false;
  }
  say(granted ? "✓ Saved." : `✓ Saved, but the browser did not allow access to ${settings.backendUrl}: ` +
    "the extension can't reach it until you allow it.", granted);
}

async function test() {
  let settings;
  try {
    settings = { backendUrl: cwApi.normaliseBackend(field("backend-url").value), token: field("token").value };
  } catch (err) {
    say(`✗ ${err.message}`, false);
    return;
  }
  say("Testing…");
  try {
    const health = await new cwApi.Client(settings).request("/v1/health");
    say(`✓ Reached consentwatch ${health.version} at ${settings.backendUrl} (${health.queued} queued, ` +
      `${health.running} running).`, true);
  } catch (err) {
    say(`✗ Could not use ${settings.backendUrl}: ${err.message}`, false);
  }
}

document.addEventListener("DOMContentLoaded", async () => {
  $("default-backend").textContent = cwApi.DEFAULT_BACKEND;
  const settings = await cwApi.getSettings();
  field("backend-url").value = settings.backendUrl;
  field("token").value = settings.token;
  const mode = cwBadge.normaliseMode(settings.badge);
  const choice = /** @type {HTMLInputElement | null} */ (document.querySelector(`input[name="badge"][value="${mode}"]`));
  if (choice) choice.checked = true;
  $("settings").addEventListener("submit", save);
  $("test").addEventListener("click", test);
});
