/* Consent state as the page's own CMP APIs report it, read in the top frame after the visit settled:
   IAB TCF v2 (__tcfapi addEventListener), US Privacy (__uspapi), GPP (__gpp ping), OneTrust's active
   groups and Cookiebot's consent object. Every call is bounded: a CMP stub that never answers yields
   nothing rather than a hang. */
async (timeoutMs) => {
  const out = {};
  const call = (fn) => new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), timeoutMs);
    try {
      fn((value) => { clearTimeout(timer); resolve(value); });
    } catch (e) { clearTimeout(timer); resolve(undefined); }
  });
  const ids = (obj) => Object.keys(obj || {}).filter((k) => obj[k] === true).map(Number).filter((n) => n > 0).sort((a, b) => a - b);
  if (typeof window.__tcfapi === 'function') {
    const tc = await call((done) => window.__tcfapi('addEventListener', 2, (data, ok) => {
      if (!ok || !data) return done(undefined);
      try { if (data.listenerId !== undefined) window.__tcfapi('removeEventListener', 2, () => {}, data.listenerId); } catch (e) {}
      done(data);
    }));
    if (tc) {
      out.tcf = {
        tcString: tc.tcString || null, gdprApplies: tc.gdprApplies ?? null, eventStatus: tc.eventStatus || null,
        cmpStatus: tc.cmpStatus || null, cmpId: tc.cmpId ?? null, tcfPolicyVersion: tc.tcfPolicyVersion ?? null,
        purposeConsents: ids(tc.purpose && tc.purpose.consents),
        purposeLegitimateInterests: ids(tc.purpose && tc.purpose.legitimateInterests),
        vendorConsents: ids(tc.vendor && tc.vendor.consents).slice(0, 2000),
        vendorLegitimateInterests: ids(tc.vendor && tc.vendor.legitimateInterests).slice(0, 2000),
        specialFeatureOptins: ids(tc.specialFeatureOptins),
      };
    } else {
      out.tcf = { error: 'no answer from __tcfapi' };
    }
  }
  if (typeof window.__uspapi === 'function') {
    const usp = await call((done) => window.__uspapi('getUSPData', 1, (data, ok) => done(ok && data ? data : undefined)));
    out.usp = usp ? { uspString: usp.uspString || null, version: usp.version ?? null } : { error: 'no answer from __uspapi' };
  }
  if (typeof window.__gpp === 'function') {
    /* GPP 1.1 answers ping through the callback; 1.0 returned it. */
    const ping = await call((done) => {
      const r = window.__gpp('ping', (data, ok) => done(ok === false ? undefined : data));
      if (r && typeof r === 'object') done(r);
    });
    if (ping) {
      out.gpp = {
        gppString: ping.gppString || null, gppVersion: ping.gppVersion || null, cmpStatus: ping.cmpStatus || null,
        signalStatus: ping.signalStatus || null, applicableSections: ping.applicableSections || [],
        supportedAPIs: (ping.supportedAPIs || []).slice(0, 50), cmpId: ping.cmpId ?? null,
      };
    } else {
      out.gpp = { error: 'no answer from __gpp' };
    }
  }
  if (typeof window.OnetrustActiveGroups === 'string') out.onetrust = { activeGroups: window.OnetrustActiveGroups };
  const cb = window.Cookiebot;
  if (cb && typeof cb === 'object' && cb.consent) {
    const c = cb.consent;
    out.cookiebot = { hasResponse: !!cb.hasResponse, declined: !!cb.declined, necessary: !!c.necessary,
                      preferences: !!c.preferences, statistics: !!c.statistics, marketing: !!c.marketing };
  }
  out.gpc = navigator.globalPrivacyControl === true;
  return out;
}
