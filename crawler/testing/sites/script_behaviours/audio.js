// AudioContext fingerprinting (Englehardt & Narayanan 2016, fig. 5): a triangle oscillator through a
// dynamics compressor, rendered offline; the sum of the output samples differs by machine.
(function () {
  var Ctx = window.OfflineAudioContext || window.webkitOfflineAudioContext;
  if (!Ctx) return;
  var ctx = new Ctx(1, 5000, 44100);
  var osc = ctx.createOscillator();
  osc.type = 'triangle';
  osc.frequency.value = 10000;
  var comp = ctx.createDynamicsCompressor();
  comp.threshold.value = -50; comp.knee.value = 40; comp.ratio.value = 12;
  osc.connect(comp); comp.connect(ctx.destination); osc.start(0);
  ctx.startRendering().then(function (buffer) {
    var data = buffer.getChannelData(0), sum = 0;
    for (var i = 4500; i < 5000; i++) sum += Math.abs(data[i]);
    navigator.sendBeacon('https://fp-vendor.net/collect?kind=audio', String(sum));
  });
})();
