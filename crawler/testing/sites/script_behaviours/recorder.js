// A session recorder: serialises the DOM, observes every mutation, captures input values, key
// presses, mouse moves and scrolls, and ships them in batches to its ingestion host.
(function () {
  var ingest = (document.currentScript && document.currentScript.getAttribute('data-ingest')) || 'https://r.lr-ingest.io/i';
  var events = [{ t: 'snapshot', html: document.documentElement.outerHTML.length }];
  new MutationObserver(function (records) {
    events.push({ t: 'mutation', n: records.length });
  }).observe(document, { childList: true, subtree: true, attributes: true, characterData: true });
  document.addEventListener('input', function (e) { events.push({ t: 'input', v: e.target.value }); }, true);
  document.addEventListener('keydown', function (e) { events.push({ t: 'key' }); }, true);
  document.addEventListener('mousemove', function (e) { events.push({ t: 'move', x: e.clientX, y: e.clientY }); }, true);
  window.addEventListener('scroll', function () { events.push({ t: 'scroll', y: scrollY }); }, true);
  function ship() {
    if (!events.length) return;
    var body = JSON.stringify({ session: 'cw-session-1', events: events.splice(0) });
    fetch(ingest, { method: 'POST', mode: 'no-cors', body: body });
  }
  setInterval(ship, 500);
  ship();
})();
