/* Helpers shared by every tracker stub (prepended by the fake internet). */
var cw = (function () {
  function rand() { return Math.floor(Math.random() * 2147483647); }
  function now() { return Math.floor(Date.now() / 1000); }
  function hex(n) { var s = ''; while (s.length < n) s += Math.random().toString(16).slice(2); return s.slice(0, n); }
  function uuid() { return hex(8) + '-' + hex(4) + '-4' + hex(3) + '-a' + hex(3) + '-' + hex(12); }
  function getCookie(name) {
    var m = document.cookie.match(new RegExp('(?:^|; )' + name.replace(/[.$?*|{}()\[\]\\\/+^]/g, '\\$&') + '=([^;]*)'));
    return m ? decodeURIComponent(m[1]) : null;
  }
  /* Like analytics libraries' cookie_domain "auto": the widest domain the browser accepts,
     i.e. the registrable domain (public suffixes are refused by the browser). */
  function setCookie(name, value, maxAgeSeconds) {
    var parts = location.hostname.split('.');
    var tail = '; path=/; max-age=' + maxAgeSeconds + '; SameSite=Lax' + (location.protocol === 'https:' ? '; Secure' : '');
    for (var i = parts.length - 2; i >= 0; i--) {
      var domain = parts.slice(i).join('.');
      document.cookie = name + '=' + encodeURIComponent(value) + '; domain=.' + domain + tail;
      if (getCookie(name) === value) return domain;
    }
    document.cookie = name + '=' + encodeURIComponent(value) + tail;
    return location.hostname;
  }
  function qs(params) {
    var out = [];
    for (var k in params) if (params[k] !== undefined && params[k] !== null) out.push(encodeURIComponent(k) + '=' + encodeURIComponent(params[k]));
    return out.join('&');
  }
  /* How the real libraries send hits: sendBeacon (ping), image pixels, or fetch/XHR. */
  function send(url, how, body) {
    how = how || 'img';
    try {
      if (how === 'beacon' && navigator.sendBeacon) { if (navigator.sendBeacon(url, body || '')) return; }
      if (how === 'fetch' || how === 'post') {
        fetch(url, { method: how === 'post' ? 'POST' : 'GET', mode: 'no-cors', credentials: 'include', keepalive: true,
                     body: how === 'post' ? (body || '{}') : undefined });
        return;
      }
    } catch (e) { /* fall back to a pixel like the real libraries do */ }
    var img = new Image(1, 1);
    img.src = url;
    (window.__cwPixels = window.__cwPixels || []).push(img);
  }
  function loadScript(src) {
    var s = document.createElement('script');
    s.async = true; s.src = src;
    var first = document.getElementsByTagName('script')[0];
    if (first && first.parentNode) first.parentNode.insertBefore(s, first); else document.head.appendChild(s);
    return s;
  }
  function pageParams() {
    return { dl: location.href, dr: document.referrer, dt: document.title };
  }
  return { rand: rand, now: now, hex: hex, uuid: uuid, getCookie: getCookie, setCookie: setCookie, qs: qs,
           send: send, loadScript: loadScript, pageParams: pageParams };
})();
