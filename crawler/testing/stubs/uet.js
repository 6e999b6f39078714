/* Stub of Microsoft Advertising UET (bat.js): the snippet calls `new UET({ti: …})` on load.
   First-party _uetsid/_uetvid, hits to bat.bing.com/action/0 (response sets MUID on .bing.com).
   uetq.push('consent', 'default'|'update', {ad_storage}) is honoured like the real tag (asc=D/G). */
(function () {
  var w = window;
  function UET(o) {
    this.ti = o.ti; this.q = o.q || []; this.adStorage = 'granted'; this.mid = cw.uuid();
    /* the pre-load queue is flat: uetq.push('consent', 'default', {...}) adds three elements */
    var q = this.q, i = 0;
    while (i < q.length) {
      if (q[i] === 'consent' || q[i] === 'event') { this.push(q[i], q[i + 1], q[i + 2]); i += 3; }
      else { if (typeof q[i] === 'string') this.push(q[i]); i += 1; }
    }
  }
  UET.prototype.push = function () {
    var a = Array.prototype.slice.call(arguments);
    if (a[0] === 'consent') { if (a[2] && a[2].ad_storage) this.adStorage = a[2].ad_storage; return; }
    if (a[0] === 'pageLoad') return this.hit('pageLoad');
    if (a[0] === 'event') return this.hit('custom', a[1]);
  };
  UET.prototype.hit = function (evt, action) {
    var ok = this.adStorage !== 'denied', sid = '', vid = '';
    if (ok) {
      sid = cw.getCookie('_uetsid') || (cw.hex(32) + '|' + cw.hex(6) + '|2|fa0|0|1822');
      vid = cw.getCookie('_uetvid') || (cw.hex(32) + '|' + cw.hex(6) + '|' + Date.now() + '|1|1|bat.bing.com/p/insights/c/');
      cw.setCookie('_uetsid', sid, 86400);
      cw.setCookie('_uetvid', vid, 33696000);
    }
    var q = { ti: this.ti, tm: 'gtm002', Ver: 2, mid: this.mid, sid: ok ? sid.split('|')[0].slice(0, 8) + '0' : undefined,
              vid: ok ? vid.split('|')[0] : undefined, vids: ok ? 1 : 0, msclkid: 'N', evt: evt, ea: action,
              asc: ok ? 'G' : 'D', sw: screen.width, sh: screen.height, sc: 24, tl: document.title, p: location.href,
              r: document.referrer, lt: 500, lg: navigator.language, sv: 1, rn: cw.rand() };
    cw.send(CFG.action_url + '?' + cw.qs(q), 'img');
  };
  w.UET = UET;
})();
