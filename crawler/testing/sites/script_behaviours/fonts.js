// Canvas font fingerprinting: measure one string in many fonts, keep the widths that differ from
// the generic fallback (Fifield & Egelman 2015; Englehardt & Narayanan 2016).
(function () {
  var fonts = ['Arial', 'Arial Black', 'Arial Narrow', 'Book Antiqua', 'Bookman Old Style', 'Calibri', 'Cambria',
    'Candara', 'Century', 'Century Gothic', 'Comic Sans MS', 'Consolas', 'Constantia', 'Corbel', 'Courier',
    'Courier New', 'Ebrima', 'Franklin Gothic', 'Gabriola', 'Garamond', 'Geneva', 'Georgia', 'Gill Sans',
    'Helvetica', 'Helvetica Neue', 'Impact', 'Lucida Bright', 'Lucida Console', 'Lucida Grande',
    'Lucida Sans Unicode', 'Malgun Gothic', 'Marlett', 'Meiryo', 'Menlo', 'Microsoft Sans Serif', 'MS Gothic',
    'MS Sans Serif', 'MS Serif', 'Monaco', 'Myriad Pro', 'Palatino', 'Palatino Linotype', 'Segoe Print',
    'Segoe Script', 'Segoe UI', 'Segoe UI Light', 'SimSun', 'Sylfaen', 'Tahoma', 'Times', 'Times New Roman',
    'Trebuchet MS', 'Ubuntu', 'Verdana', 'Wingdings', 'Yu Gothic', 'DejaVu Sans', 'Liberation Sans',
    'Noto Sans', 'Roboto', 'Source Sans Pro', 'Fira Sans'];
  var ctx = document.createElement('canvas').getContext('2d');
  var text = 'mmmmmmmmmmlli';
  ctx.font = '72px monospace';
  var base = ctx.measureText(text).width;
  var found = [];
  for (var i = 0; i < fonts.length; i++) {
    ctx.font = "72px '" + fonts[i] + "', monospace";
    if (ctx.measureText(text).width !== base) found.push(fonts[i]);
  }
  fetch('https://fp-vendor.net/collect?kind=fonts', { method: 'POST', mode: 'no-cors', body: found.join(',') });
})();
