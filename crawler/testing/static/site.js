/* First-party "site" script of every fake site: runs the tracker tags that carry conditions.
   A tag rendered as <template data-cw-tag data-cw-when='{...}'> runs only when its conditions hold:
     unless_gpc:  not when navigator.globalPrivacyControl is true (a site that honours GPC)
     unless_dnt:  not when navigator.doNotTrack is "1"
     consent:     a consent category ("analytics", "marketing", …): waits for siteConsent.grant([...]),
                  which a cookie banner in the banner slot calls (or a stored choice on load). */
(function () {
  var granted = {};
  var listeners = [];
  function run(tpl) {
    if (tpl.__cwDone) return;
    tpl.__cwDone = true;
    var frag = document.importNode(tpl.content, true);
    /* scripts cloned from a <template> must be re-created to execute */
    var scripts = frag.querySelectorAll('script');
    for (var i = 0; i < scripts.length; i++) {
      var old = scripts[i], s = document.createElement('script');
      for (var a = 0; a < old.attributes.length; a++) s.setAttribute(old.attributes[a].name, old.attributes[a].value);
      s.text = old.text;
      old.parentNode.replaceChild(s, old);
    }
    tpl.parentNode.insertBefore(frag, tpl);
  }
  function check(tpl) {
    var when = {};
    try { when = JSON.parse(tpl.getAttribute('data-cw-when') || '{}'); } catch (e) {}
    if (when.unless_gpc && navigator.globalPrivacyControl === true) return 'gpc';
    if (when.unless_dnt && (navigator.doNotTrack === '1' || window.doNotTrack === '1')) return 'dnt';
    if (when.consent && !granted[when.consent]) return 'consent';
    return null;
  }
  function sweep() {
    var tpls = document.querySelectorAll('template[data-cw-tag]');
    for (var i = 0; i < tpls.length; i++) if (!check(tpls[i])) run(tpls[i]);
  }
  window.siteConsent = {
    grant: function (categories) {
      for (var i = 0; i < categories.length; i++) granted[categories[i]] = true;
      sweep();
      for (var j = 0; j < listeners.length; j++) listeners[j](categories);
    },
    granted: function (c) { return !!granted[c]; },
    onGrant: function (fn) { listeners.push(fn); }
  };
  sweep();
})();
