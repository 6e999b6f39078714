/* The heuristic banner finder, run in one frame: a visible fixed/sticky element (or dialog) that
   talks about cookies and holds reject/accept-like buttons, or, whatever its words, offers a choice
   (accept next to reject / US opt-out) or sits in a frame with a consent API. Vocabulary comes from vocabulary.yaml;
   `norm` and `classify` must agree with vocabulary.py. One function, dispatching on args.op. */
(args) => {
  const EDGE = /^[\s.,;:!?…"'«»“”‘’()\[\]{}<>→›\-–—*·|\/]+|[\s.,;:!?…"'«»“”‘’()\[\]{}<>→›\-–—*·|\/]+$/g;
  const norm = (s) => (s || '').normalize('NFC').toLowerCase().replace(/\u2019/g, "'")
    .replace(/\u00a0/g, ' ').replace(/\s+/g, ' ').replace(EDGE, '');
  const v = args.vocab || {};
  const KINDS = ['opt_out', 'reject', 'accept', 'settings', 'save'];
  const CONTAINED = ['opt_out', 'reject', 'settings', 'save', 'accept'];
  /* globals of consent APIs and CMPs: a floating element with classified controls in such a frame is a banner */
  const CMP_GLOBALS = ['__tcfapi', '__gpp', '__uspapi', '__cmp', 'Cookiebot', 'OneTrust', 'Didomi', 'klaro', 'orejime',
    'tarteaucitron', 'CookieConsent', 'cookieconsent', 'UC_UI', 'Osano'];
  const classify = (label) => {
    const text = norm(label);
    if (!text || text.length > v.max_label_chars) return null;
    for (const k of KINDS) if (v[k].includes(text)) return k;
    const padded = ' ' + text + ' ';
    for (const k of CONTAINED) if (v[k].some((p) => padded.includes(' ' + p + ' '))) return k;
    return null;
  };
  const visible = (el) => {
    if (!el || !el.isConnected) return false;
    const r = el.getBoundingClientRect();
    if (r.width < 2 || r.height < 2) return false;
    if (r.bottom <= 0 || r.right <= 0 || r.top >= innerHeight || r.left >= innerWidth) return false;
    if (el.checkVisibility && !el.checkVisibility({ opacityProperty: true, visibilityProperty: true })) return false;
    return true;
  };
  /* every element, open shadow roots included (consent UIs like to live there) */
  const walk = (root, out, limit) => {
    const stack = [root];
    while (stack.length && out.length < limit) {
      const node = stack.pop();
      const kids = node.children || [];
      for (let i = kids.length - 1; i >= 0; i--) stack.push(kids[i]);
      if (node.nodeType === 1) {
        out.push(node);
        if (node.shadowRoot) stack.push(node.shadowRoot);
      }
    }
    return out;
  };
  const within = (el, selector) => {
    const found = Array.from(el.querySelectorAll(selector));
    for (const host of walk(el, [], 3000)) if (host.shadowRoot) found.push(...host.shadowRoot.querySelectorAll(selector));
    return found;
  };
  const labelOf = (el) => el.innerText || el.value || el.getAttribute('aria-label') || el.getAttribute('title') || '';
  const BUTTONS = 'button, a, [role=button], input[type=button], input[type=submit], [onclick]';
  const bannerEl = (id) => {
    for (const el of walk(document.documentElement, [], 20000)) if (el.getAttribute('data-consentwatch-banner') === id) return el;
    return null;
  };
  const buttonEl = (id) => {
    for (const el of walk(document.documentElement, [], 20000)) if (el.getAttribute('data-consentwatch-button') === id) return el;
    return null;
  };

  if (args.op === 'scan') {
    if (!document.documentElement) return null;
    const candidates = [];
    for (const el of walk(document.body || document.documentElement, [], 8000)) {
      const role = el.getAttribute('role');
      let floating = role === 'dialog' || role === 'alertdialog' || el.getAttribute('aria-modal') === 'true' ||
        (el.tagName === 'DIALOG' && el.open);
      if (!floating) {
        const pos = getComputedStyle(el).position;
        floating = pos === 'fixed' || pos === 'sticky';
      }
      if (floating && visible(el)) candidates.push(el);
    }
    let best = null;
    const cmpGlobal = CMP_GLOBALS.some((g) => { try { return window[g] !== undefined; } catch (e) { return false; } });
    for (const el of candidates) {
      const text = norm(el.innerText || el.textContent || '').slice(0, 4000);
      const worded = v.banner_words.some((w) => text.includes(w));
      const buttons = [];
      for (const b of within(el, BUTTONS)) {
        if (!visible(b)) continue;
        const label = norm(labelOf(b));
        buttons.push({ el: b, label: label.slice(0, 80), kind: classify(label) });
      }
      const kinds = new Set(buttons.filter((b) => b.kind).map((b) => b.kind));
      if (!kinds.size) continue;
      /* by structure: a choice between yes and no, or a US opt-out link, or a CMP on the page */
      const choice = kinds.has('accept') && (kinds.has('reject') || kinds.has('opt_out'));
      if (!worded && !choice && !kinds.has('opt_out') && !(cmpGlobal && (kinds.has('accept') || kinds.has('reject')))) continue;
      const r = el.getBoundingClientRect();
      const score = [worded || cmpGlobal ? 1 : 0, kinds.has('reject') || kinds.has('accept') || kinds.has('opt_out') ? 1 : 0,
        kinds.size, -(r.width * r.height)];
      let better = !best;
      for (let i = 0; !better && i < score.length; i++) {
        if (score[i] !== best.score[i]) { better = score[i] > best.score[i]; break; }
      }
      if (better) best = { el, text, buttons, score };
    }
    if (!best) return null;
    const id = args.id;
    best.el.setAttribute('data-consentwatch-banner', id);
    return {
      id, text: best.text.slice(0, 240),
      element: best.el.tagName.toLowerCase() + (best.el.id ? '#' + best.el.id : ''),
      buttons: best.buttons.map((b, i) => {
        b.el.setAttribute('data-consentwatch-button', id + '-' + i);
        return { index: i, kind: b.kind, label: b.label };
      }),
    };
  }
  if (args.op === 'gone') return !visible(bannerEl(args.id));
  if (args.op === 'click') {
    const el = buttonEl(args.button);
    if (!el) return false;
    el.click();
    return true;
  }
  if (args.op === 'uncheck') {
    const banner = bannerEl(args.id);
    if (!banner) return 0;
    let n = 0;
    for (const box of within(banner, 'input[type=checkbox]:checked:not([disabled]), [role=switch][aria-checked=true]')) {
      box.click();
      n++;
    }
    return n;
  }
  return null;
}
