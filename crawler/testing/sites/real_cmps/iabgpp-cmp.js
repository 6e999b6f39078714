/* A US-style privacy notice on @iabgpp/cmpapi: "Do Not Sell or Share My Personal Information" next to
   "Accept". Opting out should set GPP usnat SaleOptOut / SharingOptOut (and the uspv1 opt-out).
   data-records-opt-out="false" on the notice reproduces a common bug: the link closes the notice, the
   string keeps saying "did not opt out", and the ad tags keep running. */
import { CmpApi, CmpStatus, SignalStatus } from '@iabgpp/cmpapi';

const notice = document.getElementById('us-privacy-notice');
const records = notice.dataset.recordsOptOut !== 'false';
const honoursGpc = notice.dataset.honoursGpc === 'true';
const cmpApi = new CmpApi(301, 1);
cmpApi.setApplicableSections([7]);
// The notices were given; nobody has opted out yet (2 = did not opt out).
for (const [field, value] of [['SharingNotice', 1], ['SaleOptOutNotice', 1], ['SharingOptOutNotice', 1],
                              ['TargetedAdvertisingOptOutNotice', 1], ['SaleOptOut', 2], ['SharingOptOut', 2],
                              ['TargetedAdvertisingOptOut', 2], ['MspaCoveredTransaction', 2]]) {
  cmpApi.setFieldValue('usnat', field, value);
}
cmpApi.setFieldValue('uspv1', 'Notice', 'Y');
cmpApi.setFieldValue('uspv1', 'OptOutSale', 'N');
cmpApi.setFieldValue('uspv1', 'LspaCovered', 'N');
const gpc = navigator.globalPrivacyControl === true;
if (gpc && honoursGpc) {  // GPC is an opt-out of sale/sharing: recorded, and the ad tags stay off
  for (const field of ['SaleOptOut', 'SharingOptOut', 'TargetedAdvertisingOptOut']) cmpApi.setFieldValue('usnat', field, 1);
  cmpApi.setFieldValue('usnat', 'Gpc', true);
  cmpApi.setFieldValue('uspv1', 'OptOutSale', 'Y');
}
cmpApi.fireSectionChange('usnat');
cmpApi.setSignalStatus(SignalStatus.READY);
cmpApi.setCmpStatus(CmpStatus.LOADED);
if (!(gpc && honoursGpc)) siteConsent.grant(['marketing']);  // US opt-out model: ads run until the visitor opts out

function optOut() {
  if (records) {
    for (const field of ['SaleOptOut', 'SharingOptOut', 'TargetedAdvertisingOptOut']) cmpApi.setFieldValue('usnat', field, 1);
    cmpApi.setFieldValue('uspv1', 'OptOutSale', 'Y');
    cmpApi.fireSectionChange('usnat');
    document.cookie = `__gpp=${encodeURIComponent(cmpApi.getGppString())}; path=/; max-age=31536000; SameSite=Lax`;
  }
  notice.remove();
}
document.getElementById('us-opt-out').addEventListener('click', (e) => { e.preventDefault(); optOut(); });
document.getElementById('us-accept').addEventListener('click', () => notice.remove());
notice.hidden = false;
