/* Stub of Google Tag Manager's gtm.js?id=GTM-…: fires the tags configured for the container
   (CFG.tags, from the site's data). A tag with `requires` (Consent Mode keys such as ad_storage)
   waits until those are granted, as GTM's consent checks do; gtag tags load gtag.js, which applies
   Consent Mode by itself. */
(function () {
  var w = window;
  w.dataLayer = w.dataLayer || [];
  w.google_tag_manager = w.google_tag_manager || {};
  w.google_tag_manager[CFG.id] = { dataLayer: { name: 'dataLayer' } };
  var tags = CFG.tags || [], fired = {};

  function args() { return arguments; }
  function runHtml(html) {
    var box = document.createElement('div');
    box.innerHTML = html;
    var nodes = Array.prototype.slice.call(box.childNodes);
    for (var i = 0; i < nodes.length; i++) {
      var n = nodes[i];
      if (n.nodeName === 'SCRIPT') {
        var s = document.createElement('script');
        for (var a = 0; a < n.attributes.length; a++) s.setAttribute(n.attributes[a].name, n.attributes[a].value);
        s.text = n.text;
        document.head.appendChild(s);
      } else if (n.nodeType === 1) {
        (document.body || document.documentElement).appendChild(n);
      }
    }
  }
  function allowed(tag) {
    var st = cwConsent.state();
    var req = tag.requires || [];
    for (var i = 0; i < req.length; i++) if (!cwConsent.granted(st, req[i])) return false;
    return true;
  }
  function fire(tag, i) {
    if (fired[i] || !allowed(tag)) return;
    fired[i] = true;
    if (tag.kind === 'gtag') {
      if (!w.gtag) w.gtag = function () { w.dataLayer.push(arguments); };
      w.dataLayer.push(args('js', new Date()));
      w.dataLayer.push(args('config', tag.id));
      cw.loadScript(CFG.gtag_url + '?id=' + encodeURIComponent(tag.id) + '&cx=c&gtm=45He5ca0v9');
    } else if (tag.kind === 'html') {
      runHtml(tag.html);
    }
  }
  function sweep() { for (var i = 0; i < tags.length; i++) fire(tags[i], i); }
  cwConsent.onPush(function (e) {
    if (cwConsent.isCommand(e) && e[0] === 'consent') sweep();
  });
  sweep();
  var push = function (ev) { w.dataLayer.push({ event: ev, 'gtm.uniqueEventId': w.dataLayer.length }); };
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', function () { push('gtm.dom'); });
  else push('gtm.dom');
  if (document.readyState !== 'complete') w.addEventListener('load', function () { push('gtm.load'); });
  else push('gtm.load');
})();
