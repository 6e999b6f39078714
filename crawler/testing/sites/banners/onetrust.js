/* Fixture of OneTrust's banner SDK (cdn.cookielaw.org/scripttemplates/otSDKStub.js): reveals
   #onetrust-consent-sdk, keeps OnetrustActiveGroups and the OptanonConsent / OptanonAlertBoxClosed
   cookies as the real SDK does (opt-in model: only C0001 before an answer). */
(function () {
  var GROUPS = ['C0001', 'C0002', 'C0003', 'C0004'];  /* necessary, performance, functional, targeting */
  var CATEGORIES = { C0002: 'analytics', C0003: 'functional', C0004: 'marketing' };
  function setActive(active) {
    window.OnetrustActiveGroups = ',' + active.join(',') + ',';
    window.OptanonActiveGroups = window.OnetrustActiveGroups;
  }
  function store(active) {
    setActive(active);
    var groups = GROUPS.map(function (g) { return g + ':' + (active.indexOf(g) >= 0 ? 1 : 0); }).join(',');
    cwCmp.setCookie('OptanonConsent', 'isGpcEnabled=0&datestamp=' + encodeURIComponent(new Date().toUTCString()) +
      '&version=202409.1.0&isIABGlobal=false&hosts=&consentId=' + Math.random().toString(16).slice(2) +
      '&interactionCount=1&landingPath=NotLandingPage&groups=' + encodeURIComponent(groups), 365);
    cwCmp.setCookie('OptanonAlertBoxClosed', new Date().toISOString(), 365);
    cwCmp.grant(active.map(function (g) { return CATEGORIES[g]; }).filter(Boolean));
    var banner = document.getElementById('onetrust-banner-sdk');
    if (banner) banner.style.display = 'none';
  }
  setActive(['C0001']);
  window.OneTrust = { AllowAll: function () { store(GROUPS); }, RejectAll: function () { store(['C0001']); },
                      GetDomainData: function () { return { Groups: GROUPS }; }, IsAlertBoxClosed: function () { return !!cwCmp.getCookie('OptanonAlertBoxClosed'); } };
  cwCmp.onReady(function () {
    if (!cwCmp.render('onetrust-markup')) return;
    document.getElementById('onetrust-accept-btn-handler').addEventListener('click', function () { store(GROUPS); });
    document.getElementById('onetrust-reject-all-handler').addEventListener('click', function () { store(['C0001']); });
  });
})();
