/* Stub of gtag.js (Google tag): GA4 (G-…) and Google Ads (AW-…) with Consent Mode v2.
   Real behaviour reproduced: first-party _ga/_ga_<container> only when analytics_storage is granted,
   cookieless pings when denied, gcs/gcd on every hit, a new hit when consent is updated, Google Ads
   remarketing hits to googleads.g.doubleclick.net that only get the IDE cookie when ad_storage is granted. */
(function () {
  var w = window;
  w.dataLayer = w.dataLayer || [];
  if (!w.gtag) w.gtag = function () { w.dataLayer.push(arguments); };
  var G = w.__cwGtag;
  if (G) return;  /* a second gtag/js?id=… shares the first one's state, like the real library */
  G = w.__cwGtag = { configs: {}, order: [], pageCid: String(cw.rand()) + '.' + cw.now(), sid: String(cw.now()),
                     analyticsCookies: false, adsCookies: false, hits: 0 };

  function ensureAnalyticsCookies(st, measurementId) {
    if (!cwConsent.granted(st, 'analytics_storage')) return null;
    var ga = cw.getCookie('_ga');
    if (!ga) { ga = 'GA1.1.' + G.pageCid; cw.setCookie('_ga', ga, 63072000); }
    var name = '_ga_' + measurementId.replace(/^G-/, '');
    if (!cw.getCookie(name)) cw.setCookie(name, 'GS1.1.' + G.sid + '.1.0.' + G.sid + '.0.0.0', 63072000);
    return ga.split('.').slice(2).join('.');
  }

  var replayLimit;  /* while replaying the pre-load queue: consent as of that entry */
  function analyticsHit(id, eventName, params) {
    var st = cwConsent.state(replayLimit);
    var cid = ensureAnalyticsCookies(st, id) || G.pageCid;  /* denied: a per-page id, never stored */
    G.hits += 1;
    var q = { v: 2, tid: id, gtm: '45je5ca0v9', _p: String(cw.now()), gcs: cwConsent.gcs(st), gcd: cwConsent.gcd(st),
              npa: cwConsent.granted(st, 'ad_personalization') ? 0 : 1, dma: 0, cid: cid,
              ul: (navigator.language || 'en-us').toLowerCase(), sr: screen.width + 'x' + screen.height,
              _s: G.hits, sid: G.sid, sct: 1, seg: 0, en: eventName, _fv: G.hits === 1 ? 1 : undefined,
              _ss: G.hits === 1 ? 1 : undefined };
    var pp = cw.pageParams(); q.dl = pp.dl; q.dr = pp.dr || undefined; q.dt = pp.dt;
    for (var k in (params || {})) q['ep.' + k] = params[k];
    cw.send(CFG.collect_url + '?' + cw.qs(q), 'beacon');
  }

  function adsHit(id) {
    var st = cwConsent.state(replayLimit);
    var adOk = cwConsent.granted(st, 'ad_storage');
    if (adOk && !cw.getCookie('_gcl_au')) cw.setCookie('_gcl_au', '1.1.' + cw.rand() + '.' + cw.now(), 7776000);
    var num = id.replace(/^AW-/, '').split('/')[0];
    var q = { random: cw.rand(), cv: 11, fst: Date.now(), bg: 'ffffff', guid: 'ON', async: 1, gtm: '45be5ca0v9',
              gcs: cwConsent.gcs(st), gcd: cwConsent.gcd(st), npa: cwConsent.granted(st, 'ad_personalization') ? 0 : 1,
              u_w: screen.width, u_h: screen.height, url: location.href, ref: document.referrer || undefined,
              hn: 'www.googleadservices.com', frm: 0, tiba: document.title, auid: adOk ? (cw.getCookie('_gcl_au') || '').split('.').slice(2).join('.') : undefined,
              rfmt: 3, fmt: 4 };
    cw.send(CFG.ads_url + num + '/?' + cw.qs(q), 'img');
  }

  function config(id, params) {
    if (!G.configs[id]) G.order.push(id);
    G.configs[id] = params || {};
    if (/^G-/.test(id)) analyticsHit(id, 'page_view');
    else if (/^AW-/.test(id)) adsHit(id);
  }

  function consentChanged(before, after) {
    for (var i = 0; i < G.order.length; i++) {
      var id = G.order[i];
      if (/^G-/.test(id)) analyticsHit(id, 'user_engagement');
      else if (/^AW-/.test(id) && cwConsent.granted(after, 'ad_storage') !== cwConsent.granted(before, 'ad_storage')) adsHit(id);
    }
  }

  var lastState = null;
  function handle(e) {
    if (!cwConsent.isCommand(e)) return;
    if (e[0] === 'config' && typeof e[1] === 'string') config(e[1], e[2]);
    else if (e[0] === 'event') {
      for (var i = 0; i < G.order.length; i++) if (/^G-/.test(G.order[i])) analyticsHit(G.order[i], e[1], e[2]);
    } else if (e[0] === 'consent' && e[1] === 'update') {
      var now = cwConsent.state(replayLimit);
      if (lastState) consentChanged(lastState, now);
      lastState = now;
      return;
    }
    lastState = cwConsent.state(replayLimit);
  }

  /* Entries queued before the library loaded (consent default, js, config, updates) run first, in order. */
  var queued = w.dataLayer.slice();
  for (var i = 0; i < queued.length; i++) { replayLimit = i + 1; handle(queued[i]); }
  replayLimit = undefined;
  lastState = cwConsent.state();
  cwConsent.onPush(handle);
  w.google_tag_manager = w.google_tag_manager || {};
  w.google_tag_data = w.google_tag_data || { ics: { entries: {} } };
})();
