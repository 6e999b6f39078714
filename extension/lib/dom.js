// Building DOM without HTML strings: every text goes in through textContent / text nodes, so
// nothing a server sends can become markup. Classic script: defines globalThis.cwDom.
"use strict";

var cwDom = (function (root) {
  // h("a", {class: "x", href: url, onclick: fn, "aria-label": "…"}, "text", child, …)
  function h(tag, props, ...children) {
    const el = document.createElement(tag);
    for (const [name, value] of Object.entries(props || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "class") el.className = value;
      else if (name === "text") el.textContent = String(value);
      else if (name.startsWith("on") && typeof value === "function") el.addEventListener(name.slice(2), value);
      else if (name === "hidden") el.hidden = Boolean(value);
      else if (name === "disabled") el.disabled = Boolean(value);
      else if (name === "href") el.setAttribute("href", safeHref(value));
      else el.setAttribute(name, value === true ? "" : String(value));
    }
    append(el, children);
    return el;
  }

  function append(el, children) {
    for (const child of children.flat(Infinity)) {
      if (child === null || child === undefined || child === false) continue;
      el.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return el;
  }

  // Only web links and the extension's own pages; anything else (javascript:, data:) becomes inert.
  function safeHref(value) {
    try {
      const url = new URL(String(value), location.href);
      if (["http:", "https:"].includes(url.protocol) || url.origin === location.origin) return url.href;
    } catch (_err) {
      /* fall through */
    }
    return "#";
  }

  function clear(el) {
    el.replaceChildren();
    return el;
  }

  let nextId = 0;
  function uid(prefix) {
    nextId += 1;
    return `${prefix}-${nextId}`;
  }

  // A disclosure: a button with aria-expanded that shows or hides the panel it controls.
  function disclosure(label, panelChildren, { open = false, level = 3, count = null, className = "" } = {}) {
    const panelId = uid("panel");
    const panel = h("div", { id: panelId, class: "disclosure-panel", hidden: !open }, panelChildren);
    const button = h("button", {
      type: "button", class: "disclosure-button", "aria-expanded": String(open), "aria-controls": panelId,
      onclick: () => {
        const expanded = button.getAttribute("aria-expanded") === "true";
        button.setAttribute("aria-expanded", String(!expanded));
        panel.hidden = expanded;
      },
    }, h("span", { class: "chevron", "aria-hidden": "true" }), h("span", { class: "disclosure-label" }, label),
    count === null ? null : h("span", { class: "count-badge" }, String(count)));
    const heading = h(`h${level}`, { class: "disclosure-heading" }, button);
    return h("section", { class: `disclosure ${className}`.trim() }, heading, panel);
  }

  const rtf = new Intl.RelativeTimeFormat("en", { numeric: "auto" });
  /** @type {Array<[Intl.RelativeTimeFormatUnit, number]>} */
  const UNITS = [["year", 365 * 86400], ["month", 30 * 86400], ["week", 7 * 86400], ["day", 86400],
    ["hour", 3600], ["minute", 60]];

  // 1795307530 (seconds) → "3 days ago"
  function relativeTime(epochSeconds, now = Date.now()) {
    const delta = epochSeconds - now / 1000;
    if (Math.abs(delta) < 60) return "just now";
    for (const [unit, size] of UNITS) {
      if (Math.abs(delta) >= size) return rtf.format(Math.round(delta / size), unit);
    }
    return "just now";
  }

  return Object.freeze({ h, append, clear, uid, disclosure, relativeTime, safeHref });
})(globalThis);
