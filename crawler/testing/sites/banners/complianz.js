/* Fixture of Complianz (the WordPress plugin's complianz.min.js, served by the site itself):
   #cmplz-cookiebanner-container .cmplz-cookiebanner with .cmplz-accept / .cmplz-deny, the
   cmplz_banner-status and cmplz_<category> cookies. This install honours Global Privacy Control in
   its US signals: with GPC the usprivacy string, __uspapi and the GPP usnat section say "opted out". */
(function () {
  var gpc = navigator.globalPrivacyControl === true;
  var optedOut = gpc;
  function strings() {
    return { ids: [7], string: cwCmp.gppString([[7, cwCmp.usnat({ notice: true, saleOptOut: optedOut, sharingOptOut: optedOut,
                                                                targetedAdvertisingOptOut: optedOut, gpc: gpc })]]) };
  }
  cwCmp.uspApi(function () { return cwCmp.uspString(optedOut); });
  cwCmp.gppApi(280, strings);
  cwCmp.setCookie('usprivacy', cwCmp.uspString(optedOut), 365);
  function answer(all) {
    optedOut = gpc || !all;
    ['functional', 'statistics', 'marketing'].forEach(function (c) { cwCmp.setCookie('cmplz_' + c, all ? 'allow' : 'deny', 365); });
    cwCmp.setCookie('cmplz_banner-status', 'dismissed', 365);
    cwCmp.setCookie('usprivacy', cwCmp.uspString(optedOut), 365);
    document.querySelector('.cmplz-cookiebanner').style.display = 'none';
    if (all) cwCmp.grant(['analytics', 'marketing']);
  }
  cwCmp.onReady(function () {
    var container = cwCmp.render('complianz-markup');
    if (!container) return;
    var banner = container.querySelector('.cmplz-cookiebanner');
    banner.querySelector('.cmplz-accept').addEventListener('click', function () { answer(true); });
    banner.querySelector('.cmplz-deny').addEventListener('click', function () { answer(false); });
  });
})();
