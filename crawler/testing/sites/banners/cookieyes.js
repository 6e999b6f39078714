/* Fixture of CookieYes (cdn-cookieyes.com/client_data/…/script.js): .cky-consent-container with
   data-cky-tag accept/reject/settings buttons and the cookieyes-consent cookie. This install also
   serves US signals (usprivacy cookie, __uspapi, __gpp usnat) that never look at GPC: only the
   reject button opts out. */
(function () {
  var optedOut = false;
  /* data-late-handlers on the script tag: the banner is drawn before its button handlers exist (real CMPs
     do this: tarteaucitron loads its services and language first). Modelled deterministically: handlers
     are attached only after the first click, which is lost, whenever it comes. */
  var me = document.currentScript;
  var late = !!(me && me.dataset.lateHandlers);
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
    function attach() {
      box.querySelector('[data-cky-tag=accept-button]').addEventListener('click', function () { answer(true); });
      box.querySelector('[data-cky-tag=reject-button]').addEventListener('click', function () { answer(false); });
    }
    if (!late) return attach();
    box.addEventListener('click', function lost() { box.removeEventListener('click', lost, true); setTimeout(attach, 300); }, true);
  });
})();
