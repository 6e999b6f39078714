/* Fixture of Usercentrics' browser UI (app.usercentrics.eu/browser-ui/latest/loader.js): the banner in
   #usercentrics-root's open shadow root ([data-testid=uc-container], uc-deny-all-button,
   uc-accept-all-button) and window.UC_UI; answers update Google Consent Mode, as Usercentrics'
   Consent Mode integration does. */
(function () {
  var accepted = null;
  function root() { return document.getElementById('usercentrics-root'); }
  function close() { var r = root(); if (r) r.style.display = 'none'; return Promise.resolve(); }
  function answer(all) {
    accepted = all;
    cwCmp.setCookie('uc_user_interaction', 'true', 365);
    try { localStorage.setItem('uc_settings', JSON.stringify({ controllerId: 'cw', services: [{ id: 'gtag', status: all }, { id: 'meta', status: all }] })); } catch (e) {}
    cwCmp.consentMode(all);
    if (all) cwCmp.grant(['analytics', 'marketing']);
    return close();
  }
  window.UC_UI = {
    isInitialized: function () { return true; },
    acceptAllConsents: function () { return answer(true); },
    denyAllConsents: function () { return answer(false); },
    closeCMP: close,
    areAllConsentsAccepted: function () { return accepted === true; },
    showFirstLayer: function () { var r = root(); if (r) r.style.display = 'block'; },
  };
  cwCmp.onReady(function () {
    var host = cwCmp.render('usercentrics-markup');
    if (!host) return;
    var shadow = host.attachShadow({ mode: 'open' });
    shadow.innerHTML = '<style>.uc{background:#fff;padding:16px;font:14px sans-serif;box-shadow:0 -2px 8px #0003}' +
      'button{margin-right:8px;padding:8px 14px}</style>' +
      '<div class="uc" data-testid="uc-container" role="dialog" aria-label="Privacy Settings">' +
      '<p data-testid="uc-message-container">We use cookies and similar technologies for analytics and personalised ' +
      'advertising. You can accept all, deny all or choose in the settings.</p>' +
      '<button data-testid="uc-more-button">Settings</button>' +
      '<button data-testid="uc-deny-all-button">Deny</button>' +
      '<button data-testid="uc-accept-all-button">Accept All</button></div>';
    shadow.querySelector('[data-testid=uc-deny-all-button]').addEventListener('click', function () { answer(false); });
    shadow.querySelector('[data-testid=uc-accept-all-button]').addEventListener('click', function () { answer(true); });
    host.style.display = 'block';
  });
})();
