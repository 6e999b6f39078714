/* Stub of Meta's fbevents.js: fbq('init'|'track'|'trackCustom'|'consent'), first-party _fbp,
   hits to www.facebook.com/tr (whose response sets the third-party `fr` cookie).
   fbq('consent', 'revoke') holds every hit (and the cookie) until fbq('consent', 'grant'). */
(function () {
  var w = window;
  var fbq = w.fbq;
  if (!fbq) { fbq = w.fbq = function () { fbq.callMethod ? fbq.callMethod.apply(fbq, arguments) : fbq.queue.push(arguments); }; fbq.queue = []; }
  if (fbq.__cwLoaded) return;
  fbq.__cwLoaded = true;
  fbq.loaded = true; fbq.version = '2.0';
  var pixels = [], revoked = false, held = [];

  function ensureFbp() {
    var fbp = cw.getCookie('_fbp');
    if (!fbp) { fbp = 'fb.1.' + Date.now() + '.' + cw.rand(); cw.setCookie('_fbp', fbp, 7776000); }
    return fbp;
  }
  function hit(pixelId, ev, custom, data) {
    var q = { id: pixelId, ev: ev, dl: location.href, rl: document.referrer, 'if': w.top !== w, ts: Date.now(),
              sw: screen.width, sh: screen.height, v: '2.9.179', r: 'stable', ec: pixels.length, o: 4126,
              fbp: ensureFbp(), it: Date.now(), coo: false, rqm: 'GET' };
    if (custom) q.cd = JSON.stringify(data || {});
    cw.send(CFG.tr_url + '?' + cw.qs(q), 'img');
  }
  function event(ev, custom, data) {
    if (revoked) { held.push([ev, custom, data]); return; }
    for (var i = 0; i < pixels.length; i++) hit(pixels[i], ev, custom, data);
  }
  fbq.callMethod = function () {
    var a = Array.prototype.slice.call(arguments);
    switch (a[0]) {
      case 'init':
        if (pixels.indexOf(String(a[1])) < 0) {
          pixels.push(String(a[1]));
          cw.loadScript(CFG.config_url + a[1] + '?v=2.9.179&r=stable&domain=' + location.hostname);
        }
        break;
      case 'track': event(a[1], false, a[2]); break;
      case 'trackCustom': event(a[1], true, a[2]); break;
      case 'consent':
        if (a[1] === 'revoke') revoked = true;
        else if (a[1] === 'grant') { revoked = false; var h = held; held = []; for (var i = 0; i < h.length; i++) event(h[i][0], h[i][1], h[i][2]); }
        break;
    }
  };
  var queued = fbq.queue || [];
  fbq.queue = [];
  for (var i = 0; i < queued.length; i++) fbq.callMethod.apply(fbq, queued[i]);
  if (!w._fbq) w._fbq = fbq;
})();
