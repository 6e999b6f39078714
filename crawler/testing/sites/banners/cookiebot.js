/* Fixture of Cookiebot's uc.js (consent.cookiebot.com/uc.js): window.Cookiebot with dialog.visible,
   hasResponse, declined, consent, withdraw()/hide(); the #CybotCookiebotDialog markup; the CookieConsent
   cookie; CookiebotOnAccept / CookiebotOnDecline events for the site's own integration. */
(function () {
  function dialog() { return document.getElementById('CybotCookiebotDialog'); }
  var cb = window.Cookiebot = {
    consent: { necessary: true, preferences: false, statistics: false, marketing: false, method: null },
    consented: false, declined: false, hasResponse: false,
    dialog: { visible: false },
    show: function () { var d = dialog(); if (d) { d.style.display = 'block'; cb.dialog.visible = true; } },
    hide: function () { var d = dialog(); if (d) d.style.display = 'none'; cb.dialog.visible = false; },
    withdraw: function () { submit(false, false, false); },
    submitCustomConsent: function (p, s, m) { submit(!!p, !!s, !!m); },
  };
  function submit(preferences, statistics, marketing) {
    var any = preferences || statistics || marketing;
    cb.consent = { necessary: true, preferences: preferences, statistics: statistics, marketing: marketing, method: 'explicit' };
    cb.consented = any; cb.declined = !any; cb.hasResponse = true;
    cwCmp.setCookie('CookieConsent', encodeURIComponent("{stamp:'" + Math.random().toString(36).slice(2) +
      "',necessary:true,preferences:" + preferences + ',statistics:' + statistics + ',marketing:' + marketing +
      ",method:'explicit',ver:1,utc:" + Date.now() + ",region:'de'}"), 365);
    cb.hide();
    window.dispatchEvent(new Event(any ? 'CookiebotOnAccept' : 'CookiebotOnDecline'));
  }
  function checked(id) { var el = document.getElementById(id); return !!(el && el.checked); }
  cwCmp.onReady(function () {
    if (!cwCmp.render('cookiebot-markup')) return;
    document.getElementById('CybotCookiebotDialogBodyLevelButtonLevelOptinDeclineAll').addEventListener('click', function () { submit(false, false, false); });
    document.getElementById('CybotCookiebotDialogBodyLevelButtonLevelOptinAllowAll').addEventListener('click', function () { submit(true, true, true); });
    document.getElementById('CybotCookiebotDialogBodyLevelButtonAccept').addEventListener('click', function () {
      submit(checked('CybotCookiebotDialogBodyLevelButtonPreferences'), checked('CybotCookiebotDialogBodyLevelButtonStatistics'),
             checked('CybotCookiebotDialogBodyLevelButtonMarketing'));
    });
    cb.show();
  });
})();
