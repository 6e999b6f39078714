/* Google Consent Mode state, read from the dataLayer the way gtag.js/gtm.js do.
   Consent commands are gtag() `arguments` objects: ('consent', 'default'|'update', {...}). */
var cwConsent = (function () {
  var KEYS = ['ad_storage', 'analytics_storage', 'ad_user_data', 'ad_personalization'];
  function isCommand(e) { return e && typeof e === 'object' && typeof e.length === 'number' && typeof e[0] === 'string'; }
  /* limit: only the first `limit` entries (replaying a queue in order); default all. */
  function state(limit) {
    var dl = window.dataLayer || [];
    var st = { used: false, def: {}, upd: {} };
    var n = limit === undefined ? dl.length : Math.min(limit, dl.length);
    for (var i = 0; i < n; i++) {
      var e = dl[i];
      if (!isCommand(e) || e[0] !== 'consent' || !e[2]) continue;
      st.used = true;
      var target = e[1] === 'update' ? st.upd : st.def;
      for (var k = 0; k < KEYS.length; k++) {
        var v = e[2][KEYS[k]];
        if (v === 'granted' || v === 'denied') {
          /* like gtag: a later default never overrides an earlier one, updates do override */
          if (target === st.def && st.def[KEYS[k]]) continue;
          target[KEYS[k]] = v;
        }
      }
    }
    return st;
  }
  function granted(st, key) {
    var v = st.upd[key] || st.def[key];
    return v !== 'denied';  /* unset means granted: no consent mode, no restriction */
  }
  /* gcs=G1<ad_storage><analytics_storage> */
  function gcs(st) {
    if (!st.used) return undefined;
    return 'G1' + (granted(st, 'ad_storage') ? '1' : '0') + (granted(st, 'analytics_storage') ? '1' : '0');
  }
  /* gcd: one letter per signal, saying whether it came from a default and/or an update. */
  function letter(st, key) {
    var d = st.def[key], u = st.upd[key];
    if (!d && !u) return 'l';
    if (!u) return d === 'granted' ? 't' : 'p';
    if (!d) return u === 'granted' ? 'n' : 'm';
    if (d === 'denied') return u === 'granted' ? 'r' : 'q';
    return u === 'granted' ? 'v' : 'u';
  }
  function gcd(st) {
    if (!st.used) return undefined;
    return '13' + letter(st, 'ad_storage') + '3' + letter(st, 'analytics_storage') + '3' +
      letter(st, 'ad_user_data') + '3' + letter(st, 'ad_personalization') + '1';
  }
  /* Run fn(entry) for each new dataLayer entry, chaining any earlier push override. */
  function onPush(fn) {
    var dl = window.dataLayer = window.dataLayer || [];
    var prev = dl.push;
    dl.push = function () {
      var r = prev.apply(dl, arguments);
      for (var i = 0; i < arguments.length; i++) { try { fn(arguments[i]); } catch (err) { if (window.console) console.error(err); } }
      return r;
    };
  }
  return { state: state, granted: granted, gcs: gcs, gcd: gcd, isCommand: isCommand, onPush: onPush };
})();
