/* Plumbing shared by the fixture CMPs (banners*.yaml): consent cookies, an IAB TCF v2 TC-string
   encoder and __tcfapi, US Privacy (__uspapi), GPP with the usnat section (__gpp), and the bridge to
   the page's tags: siteConsent.grant([...]) for gated tags and gtag('consent', 'update', ...) for
   Google Consent Mode. Each fixture CMP script calls these the way the real CMP behaves. */
var cwCmp = (function () {
  function setCookie(name, value, days) {
    document.cookie = name + '=' + value + '; path=/; max-age=' + Math.round((days || 365) * 86400) +
      '; SameSite=Lax' + (location.protocol === 'https:' ? '; Secure' : '');
  }
  function getCookie(name) {
    var m = document.cookie.match(new RegExp('(?:^|; )' + name.replace(/[.$?*|{}()\[\]\\\/+^-]/g, '\\$&') + '=([^;]*)'));
    return m ? m[1] : null;
  }
  function range(n) { var out = []; for (var i = 1; i <= n; i++) out.push(i); return out; }

  /* ---- bits → web-safe base64 (6 bits a character), the encoding TCF and GPP share */
  var B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  function Bits() { this.b = []; }
  Bits.prototype.int = function (v, n) { for (var i = n - 1; i >= 0; i--) this.b.push(Math.floor(v / Math.pow(2, i)) % 2); return this; };
  Bits.prototype.bool = function (v) { this.b.push(v ? 1 : 0); return this; };
  Bits.prototype.letters = function (s) { this.int(s.charCodeAt(0) - 65, 6); return this.int(s.charCodeAt(1) - 65, 6); };
  Bits.prototype.field = function (ids, n) { for (var i = 1; i <= n; i++) this.bool(ids.indexOf(i) >= 0); return this; };
  Bits.prototype.vendors = function (ids) {  /* MaxVendorId, IsRangeEncoding=0, bitfield */
    var max = ids.length ? Math.max.apply(null, ids) : 0;
    this.int(max, 16).bool(false);
    return this.field(ids, max);
  };
  Bits.prototype.base64 = function () {
    var b = this.b.slice();
    while (b.length % 24) b.push(0);  /* iabtcf pads to a multiple of 24 bits */
    var out = '';
    for (var i = 0; i < b.length; i += 6) out += B64[parseInt(b.slice(i, i + 6).join(''), 2)];
    return out;
  };

  /* ---- IAB TCF v2 core segment (TCF v2.2: policy version 4; tcfPolicyVersion 5 is v2.3) */
  function tcString(o) {
    var ds = Math.round(Date.now() / 100);
    var bits = new Bits().int(2, 6).int(ds, 36).int(ds, 36).int(o.cmpId, 12).int(o.cmpVersion || 1, 12)
      .int(1, 6).letters('EN').int(o.vendorListVersion || 150, 12).int(o.policyVersion || 4, 6)
      .bool(false).bool(false).field(o.specialFeatures || [], 12)
      .field(o.purposes || [], 24).field(o.legitimateInterests || [], 24).bool(false).letters(o.publisherCC || 'DE')
      .vendors(o.vendors || []).vendors(o.vendorsLI || []).int(0, 12);
    return bits.base64();
  }
  function asMap(ids, n) { var m = {}; for (var i = 1; i <= n; i++) m[i] = ids.indexOf(i) >= 0; return m; }

  /* __tcfapi with addEventListener/removeEventListener/ping, as TCF v2.2 CMPs answer */
  function tcfApi(cmpId) {
    var listeners = {}, nextId = 1;
    var st = { cmpId: cmpId, tcString: '', eventStatus: 'cmpuishown', purposes: [], vendors: [] };
    function data(listenerId) {
      return { tcString: st.tcString, tcfPolicyVersion: 4, cmpId: cmpId, cmpVersion: 1, gdprApplies: true,
               eventStatus: st.eventStatus, cmpStatus: 'loaded', listenerId: listenerId, isServiceSpecific: false,
               useNonStandardTexts: false, publisherCC: 'DE', purposeOneTreatment: false,
               purpose: { consents: asMap(st.purposes, 11), legitimateInterests: asMap([], 11) },
               vendor: { consents: asMap(st.vendors, Math.max.apply(null, [0].concat(st.vendors))), legitimateInterests: {} },
               specialFeatureOptins: asMap([], 2), publisher: { consents: {}, legitimateInterests: {} } };
    }
    window.__tcfapi = function (command, version, callback, parameter) {
      if (command === 'ping') return callback({ gdprApplies: true, cmpLoaded: true, cmpStatus: 'loaded', displayStatus: st.eventStatus === 'cmpuishown' ? 'visible' : 'hidden', apiVersion: '2.2', cmpId: cmpId, tcfPolicyVersion: 4 }, true);
      if (command === 'addEventListener') { var id = nextId++; listeners[id] = callback; return callback(data(id), true); }
      if (command === 'removeEventListener') { var ok = !!listeners[parameter]; delete listeners[parameter]; return callback(ok); }
      if (command === 'getTCData') return callback(data(undefined), true);
      callback(null, false);
    };
    return {
      answer: function (purposes, vendors) {
        st.purposes = purposes; st.vendors = vendors; st.eventStatus = 'useractioncomplete';
        st.tcString = tcString({ cmpId: cmpId, purposes: purposes, vendors: vendors });
        setCookie('euconsent-v2', st.tcString, 390);
        for (var id in listeners) listeners[id](data(Number(id)), true);
        return st.tcString;
      }
    };
  }

  /* ---- US Privacy string and GPP (header + usnat v1 section, or uspv1) */
  function uspString(optedOut) { return '1Y' + (optedOut ? 'Y' : 'N') + 'N'; }
  function uspApi(get) {
    window.__uspapi = function (command, version, callback) {
      if (command === 'getUSPData') return callback({ version: 1, uspString: get() }, true);
      callback(null, false);
    };
  }
  function fibonacci(n) {  /* Zeckendorf representation, least significant first, ending in 11 */
    var fib = [1, 2];
    while (fib[fib.length - 1] <= n) fib.push(fib[fib.length - 1] + fib[fib.length - 2]);
    var bits = [], rest = n;
    for (var i = fib.length - 1; i >= 0; i--) { if (fib[i] <= rest) { bits[i] = 1; rest -= fib[i]; } else bits[i] = 0; }
    while (bits.length && bits[bits.length - 1] === 0) bits.pop();
    return bits.concat([1]);
  }
  function gppHeader(sectionIds) {
    var bits = new Bits().int(3, 6).int(1, 6).int(sectionIds.length, 12), last = 0;
    for (var i = 0; i < sectionIds.length; i++) {
      bits.bool(false); bits.b = bits.b.concat(fibonacci(sectionIds[i] - last)); last = sectionIds[i];
    }
    return base64Gpp(bits);
  }
  function base64Gpp(bits) {
    var b = bits.b.slice();
    while (b.length % 8) b.push(0);  /* like the IAB GPP library: whole bytes, then whole characters */
    while (b.length % 6) b.push(0);
    var out = '';
    for (var i = 0; i < b.length; i += 6) out += B64[parseInt(b.slice(i, i + 6).join(''), 2)];
    return out;
  }
  /* usnat v1: 1 = opted out / notice given, 2 = did not opt out / no notice; GPC subsection appended */
  function usnat(o) {
    var bits = new Bits().int(1, 6);
    var notice = o.notice ? 1 : 2;
    [notice, notice, notice, notice, 0, 0].forEach(function (v) { bits.int(v, 2); });
    bits.int(o.saleOptOut ? 1 : 2, 2).int(o.sharingOptOut ? 1 : 2, 2).int(o.targetedAdvertisingOptOut ? 1 : 2, 2);
    for (var i = 0; i < 12; i++) bits.int(0, 2);
    bits.int(0, 2).int(0, 2).int(0, 2).int(2, 2).int(1, 2).int(2, 2);  /* child, personal data, MSPA covered/opt-out mode/service provider */
    var gpc = new Bits().int(1, 2).bool(!!o.gpc);
    return base64Gpp(bits) + '.' + base64Gpp(gpc);
  }
  function gppString(sections) {  /* sections: [[id, encoded], ...] sorted by id */
    return [gppHeader(sections.map(function (s) { return s[0]; }))].concat(sections.map(function (s) { return s[1]; })).join('~');
  }
  function gppApi(cmpId, get) {
    window.__gpp = function (command, callback) {
      var s = get();
      var ping = { gppVersion: '1.1', cmpStatus: 'loaded', cmpDisplayStatus: 'hidden', signalStatus: 'ready',
                   supportedAPIs: ['6:uspv1', '7:usnat'], cmpId: cmpId, sectionList: s.ids, applicableSections: s.ids,
                   gppString: s.string, parsedSections: {} };
      if (command === 'ping') return callback(ping, true);
      if (command === 'addEventListener') return callback({ eventName: 'listenerRegistered', listenerId: 1, data: true, pingData: ping }, true);
      callback(null, false);
    };
  }

  /* ---- the page's tags */
  function grant(categories) { if (window.siteConsent && categories.length) window.siteConsent.grant(categories); }
  function consentMode(granted) {
    if (typeof window.gtag !== 'function') return;
    var v = granted ? 'granted' : 'denied';
    window.gtag('consent', 'update', { ad_storage: v, analytics_storage: v, ad_user_data: v, ad_personalization: v });
  }
  function onReady(fn) { if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', fn); else fn(); }
  function remove(el) { if (el && el.parentNode) el.parentNode.removeChild(el); }
  /* Real CMPs inject their banner; fixtures keep the markup in an inert <template id=…> of the page. */
  function render(templateId, parent) {
    var tpl = document.getElementById(templateId);
    if (!tpl) return null;
    var node = tpl.content.firstElementChild.cloneNode(true);
    (parent || document.body).appendChild(node);
    return node;
  }

  return { setCookie: setCookie, getCookie: getCookie, range: range, tcString: tcString, tcfApi: tcfApi,
           uspString: uspString, uspApi: uspApi, usnat: usnat, gppString: gppString, gppApi: gppApi,
           grant: grant, consentMode: consentMode, onReady: onReady, remove: remove, render: render };
})();
