/* Fixture of CookieYes (cdn-cookieyes.com/client_data/…/script.js): .cky-consent-container with
   data-cky-tag accept/reject/settings buttons and the cookieyes-consent cookie. This install also
   serves US signals (usprivacy cookie, __uspapi, __gpp usnat) that never look at GPC: only the
   reject button opts out. */
(function () {
  var optedOut = false;
  function strings() {
    return { ids: [7], string: cwCmp.gppString([[7, cwCmp.usnat({ notice: true, saleOptOut: optedOut, sharingOptOut: optedOut,
                                                                targetedAdvertisingOptOut: optedOut, gpc: false })]]) };
  }
  cwCmp.uspApi(function () { return cwCmp.uspString(optedOut); });
  cwCmp.gppApi(300, strings);
  cwCmp.setCookie('usprivacy', cwCmp.uspString(false), 365);
  function answer(all) {
    optedOut = !all;
    var v = all ? 'yes' : 'no';
    cwCmp.setCookie('cookieyes-consent', 'consentid:' + Math.random().toString(36).slice(2) + ',consent:' + v +
      ',action:yes,necessary:yes,functional:' + v + ',analytics:' + v + ',performance:' + v + ',advertisement:' + v + ',other:' + v, 365);
    cwCmp.setCookie('usprivacy', cwCmp.uspString(optedOut), 365);
    cwCmp.remove(document.querySelector('.cky-consent-container'));
    document.dispatchEvent(new CustomEvent('cookieyes_consent_update', { detail: {
      accepted: all ? ['functional', 'analytics', 'performance', 'advertisement'] : [],
      rejected: all ? [] : ['functional', 'analytics', 'performance', 'advertisement'] } }));
    if (all) cwCmp.grant(['analytics', 'marketing']);
  }
  cwCmp.onReady(function () {
    var box = cwCmp.render('cookieyes-markup');
    if (!box) return;
    box.querySelector('[data-cky-tag=accept-button]').addEventListener('click', function () { answer(true); });
    box.querySelector('[data-cky-tag=reject-button]').addEventListener('click', function () { answer(false); });
  });
})();
