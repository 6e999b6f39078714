/* Fixture of Quantcast Choice (cmp.quantcast.com/choice/…/choice.js): an IAB TCF v2.2 CMP (CMP id 10)
   with #qc-cmp2-container / #qc-cmp2-ui, the summary buttons (mode=primary AGREE, #disagree-btn) and
   __tcfapi; the euconsent-v2 cookie. What the page makes of the TC data is the site's business. */
(function () {
  var tcf = cwCmp.tcfApi(10);
  function answer(agree) {
    tcf.answer(agree ? cwCmp.range(11) : [], agree ? [755, 32, 52] : []);
    cwCmp.remove(document.getElementById('qc-cmp2-container'));
    if (agree) cwCmp.grant(['analytics', 'marketing']);
  }
  cwCmp.onReady(function () {
    if (!cwCmp.render('quantcast-markup')) return;
    document.querySelector('.qc-cmp2-summary-buttons button[mode="primary"]').addEventListener('click', function () { answer(true); });
    document.getElementById('disagree-btn').addEventListener('click', function () { answer(false); });
  });
})();
