/* Data-driven tracker stub: what most tags do, described by CFG (see trackers.yaml):
   find the account id (script URL, a page global, or an init call in the command queue),
   set first-party cookies and web storage, load follow-up scripts and iframes, send hits on load,
   then answer the command queue (queued calls first, later calls live) with event hits. */
(function () {
  var w = window;
  var vars = { id: CFG.id || '' };

  function lookup(path) {
    var o = w, parts = path.split('.');
    for (var i = 0; i < parts.length && o; i++) o = o[parts[i]];
    return o;
  }
  function fill(tpl, extra) {
    return String(tpl).replace(/\{(\w+)(?::([\w.-]+))?\}/g, function (m, key, arg) {
      if (extra && key in extra) return extra[key];
      switch (key) {
        case 'rand': return String(cw.rand());
        case 'now': return String(cw.now());
        case 'ms': return String(Date.now());
        case 'uuid': return cw.uuid();
        case 'hex8': return cw.hex(8);
        case 'hex16': return cw.hex(16);
        case 'hex32': return cw.hex(32);
        case 'url': return encodeURIComponent(location.href);
        case 'ref': return encodeURIComponent(document.referrer);
        case 'title': return encodeURIComponent(document.title);
        case 'host': return location.hostname;
        case 'sw': return String(screen.width);
        case 'sh': return String(screen.height);
        case 'lang': return navigator.language || 'en-US';
        case 'cookie': return encodeURIComponent(cw.getCookie(fill(arg)) || '');
        case 'id10': return String(vars.id).slice(0, 10);
        default: return key in vars ? String(vars[key]) : m;
      }
    });
  }
  function setCookies(list) {
    for (var i = 0; i < (list || []).length; i++) {
      var c = list[i], name = fill(c.name);
      if (c.keep && cw.getCookie(name)) continue;
      cw.setCookie(name, fill(c.value), c.max_age || 31536000);
    }
  }
  function setStorage(store, items) {
    for (var k in (items || {})) { try { store.setItem(fill(k), fill(items[k])); } catch (e) {} }
  }
  function beacons(list, extra) {
    for (var i = 0; i < (list || []).length; i++) {
      var b = list[i];
      cw.send(fill(b.url, extra), b.how, b.body ? fill(typeof b.body === 'string' ? b.body : JSON.stringify(b.body), extra) : undefined);
    }
  }
  function frames(list) {
    for (var i = 0; i < (list || []).length; i++) {
      var f = document.createElement('iframe');
      f.src = fill(list[i]); f.width = 0; f.height = 0; f.style.display = 'none'; f.setAttribute('aria-hidden', 'true');
      (document.body || document.documentElement).appendChild(f);
    }
  }
  function defineGlobals() {
    var g = CFG.globals || {};
    for (var name in g) {
      var cur = lookup(name);
      if (cur === undefined) w[name] = g[name] === 'function' ? function () {} : {};
    }
  }

  /* The command queue: an array of [method, ...args] or `arguments`, at a global or a global's property. */
  var Q = CFG.queue;
  function toArray(entry) { return (entry && typeof entry === 'object' && 'length' in entry) ? Array.prototype.slice.call(entry) : [entry]; }
  function idFrom(entry) {
    if (!Q || !Q.id_call) return;
    var a = toArray(entry);
    if (a[0] === Q.id_call.method && a[Q.id_call.arg]) vars.id = String(a[Q.id_call.arg]);
  }
  function onCommand(entry) {
    if (typeof entry === 'function') { try { entry(); } catch (e) {} return; }
    var a = toArray(entry);
    var method = typeof a[0] === 'string' ? a[0] : 'push';
    if ((Q.event_methods || []).indexOf(method) >= 0) {
      var ev = Q.event_arg !== undefined ? a[Q.event_arg] : method;
      setCookies(CFG.event_cookies);
      beacons(Q.event_beacons, { event: encodeURIComponent(ev || method) });
    }
  }
  var queued = [];
  if (Q) {
    var holder = lookup(Q.path);
    var list = holder && (Array.isArray(holder) ? holder : holder[Q.prop || 'queue']);
    queued = list ? Array.prototype.slice.call(list) : [];
    for (var i = 0; i < queued.length; i++) idFrom(queued[i]);
  }
  if (CFG.id_global && lookup(CFG.id_global)) vars.id = String(lookup(CFG.id_global));

  defineGlobals();
  setCookies(CFG.cookies);
  setStorage(w.localStorage, CFG.local_storage);
  setStorage(w.sessionStorage, CFG.session_storage);
  for (var s = 0; s < (CFG.scripts || []).length; s++) cw.loadScript(fill(CFG.scripts[s]));
  if (document.body) frames(CFG.iframes); else document.addEventListener('DOMContentLoaded', function () { frames(CFG.iframes); });
  beacons(CFG.beacons);
  if (CFG.late_beacons) setTimeout(function () { beacons(CFG.late_beacons); }, CFG.late_ms || 1500);

  if (Q) {
    for (var j = 0; j < queued.length; j++) onCommand(queued[j]);
    var live = function () { idFrom(arguments); onCommand(arguments); };
    var parts = Q.path.split('.'), last = parts.pop(), parent = parts.length ? lookup(parts.join('.')) : w;
    var old = parent[last];
    if (Array.isArray(old)) {
      old.push = function () { for (var k = 0; k < arguments.length; k++) { idFrom(arguments[k]); onCommand(arguments[k]); } return Array.prototype.push.apply(old, arguments); };
    } else {
      /* keep the snippet's properties (queue, version, …) on the live function */
      var fn = function () { live.apply(null, arguments); };
      if (old) for (var p in old) if (Object.prototype.hasOwnProperty.call(old, p)) fn[p] = old[p];
      fn.loaded = true;
      parent[last] = fn;
    }
  }
})();
