// Clean: a worker that draws a chart on an OffscreenCanvas and hands the bitmap back (never read as
// pixels or an image file), once asked.
self.onmessage = function (e) {
  if (e.data !== 'go') return;
  var c = new OffscreenCanvas(480, 240);
  var ctx = c.getContext('2d');
  ctx.save();
  ctx.font = '12px sans-serif';
  [['Jan', 78], ['Feb', 61], ['Mar', 55], ['Apr', 49]].forEach(function (d, i) {
    ctx.fillStyle = '#2a6'; ctx.fillRect(20 + i * 60, 220 - d[1] * 2, 40, d[1] * 2);
    ctx.fillStyle = '#333'; ctx.fillText(d[0], 25 + i * 60, 235);
  });
  ctx.restore();
  var bitmap = c.transferToImageBitmap();
  postMessage(bitmap, [bitmap]);
};
