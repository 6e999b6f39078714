/* Northwind Gazette's TCF v2.2 CMP: @iabtcf/cmpapi answers __tcfapi, @iabtcf/core encodes the TC string.
   The site's own tag wiring has the bug this fixture is about: "Reject all" still fires the ad tags. */
import { CmpApi } from '@iabtcf/cmpapi';
import { GVL, TCModel, TCString } from '@iabtcf/core';

const CMP_ID = 300, CMP_VERSION = 2, COOKIE = 'euconsent-v2';
const cmpApi = new CmpApi(CMP_ID, CMP_VERSION, true);

function stored() {
  const m = document.cookie.match(/(?:^|; )euconsent-v2=([^;]+)/);
  return m ? decodeURIComponent(m[1]) : null;
}

async function start() {
  const gvl = new GVL(await (await fetch('/cmp/vendor-list.json')).json());
  const model = new TCModel(gvl);
  Object.assign(model, {cmpId: CMP_ID, cmpVersion: CMP_VERSION, consentScreen: 1, publisherCountryCode: 'GB',
                        isServiceSpecific: true});
  const banner = document.getElementById('nw-consent');
  const previous = stored();
  if (previous) { cmpApi.update(previous, false); return; }
  cmpApi.update('', true);  // no choice yet: the UI is shown
  banner.hidden = false;
  const decide = (accept) => {
    if (accept) {
      model.setAllVendorConsents(); model.setAllPurposeConsents();
      model.setAllVendorLegitimateInterests(); model.setAllPurposeLegitimateInterests();
    }
    const tc = TCString.encode(model);
    document.cookie = `${COOKIE}=${encodeURIComponent(tc)}; path=/; max-age=31536000; SameSite=Lax`;
    cmpApi.update(tc, false);
    banner.remove();
    siteConsent.grant(accept ? ['analytics', 'marketing'] : ['marketing']);
  };
  document.getElementById('nw-reject').addEventListener('click', () => decide(false));
  document.getElementById('nw-accept').addEventListener('click', () => decide(true));
}
start();
