/* Fixture of Didomi's loader (sdk.privacy-center.org/…/loader.js): an IAB TCF v2.2 CMP (CMP id 7).
   #didomi-host with #didomi-notice, window.Didomi (getCurrentUserStatus, setUserAgreeToAll,
   setUserDisagreeToAll), __tcfapi, the euconsent-v2 and didomi_token cookies. */
(function () {
  var PURPOSES = ['cookies', 'select_basic_ads', 'create_ads_profile', 'select_personalized_ads', 'measure_ad_performance',
                  'market_research', 'improve_products'];
  var VENDORS = [755, 91];  /* Google Advertising Products, Criteo */
  var tcf = cwCmp.tcfApi(7);
  var enabled = null;
  function answer(agree) {
    enabled = agree;
    tcf.answer(agree ? cwCmp.range(11) : [], agree ? VENDORS : []);
    cwCmp.setCookie('didomi_token', btoa(JSON.stringify({ user_id: Math.random().toString(16).slice(2), created: new Date().toISOString(),
      purposes: agree ? { enabled: PURPOSES } : { disabled: PURPOSES }, version: 2 })), 365);
    cwCmp.remove(document.getElementById('didomi-notice'));
    document.getElementById('didomi-host').setAttribute('aria-hidden', 'true');
    if (agree) cwCmp.grant(['analytics', 'marketing']);
  }
  window.Didomi = {
    setUserAgreeToAll: function () { answer(true); },
    setUserDisagreeToAll: function () { answer(false); },
    getCurrentUserStatus: function () {
      var out = {};
      PURPOSES.forEach(function (p) { out[p] = { id: p, enabled: enabled === true }; });
      return { purposes: out, vendors: {} };
    },
    notice: { isVisible: function () { return enabled === null; } },
  };
  cwCmp.onReady(function () {
    var host = document.getElementById('didomi-host');
    if (!host || !cwCmp.render('didomi-markup', host)) return;
    document.getElementById('didomi-notice-agree-button').addEventListener('click', function () { answer(true); });
    document.getElementById('didomi-notice-disagree-button').addEventListener('click', function () { answer(false); });
  });
})();
