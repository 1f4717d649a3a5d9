/* backsim's report page, made interactive. It reads the charts' numbers
   from the JSON element #backsim-charts (one object per figure: id, kind
   "line" or "bar", x and y axes, strategies, series) and draws each chart
   as an SVG in place of the static drawings: hovering shows the values
   under the pointer, a legend button hides or shows a strategy. Every
   table's header sorts its rows. It loads nothing; without it the page
   shows the static drawings. */
(function () {
  'use strict';
  var source = document.getElementById('backsim-charts');
  var charts = [];
  try {
    charts = JSON.parse(source ? source.textContent : '[]');
  } catch (e) {
    charts = [];
  }
  var probe = document.createElement('div');
  probe.innerHTML = '<svg/>';
  var NS = probe.firstChild.namespaceURI;

  function svgEl(parent, name, attrs, text) {
    var e = document.createElementNS(NS, name);
    Object.keys(attrs).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) { e.textContent = text; }
    if (parent) { parent.appendChild(e); }
    return e;
  }
  function htmlEl(parent, name, cls, text) {
    var e = document.createElement(name);
    if (cls) { e.className = cls; }
    if (text !== undefined) { e.textContent = text; }
    if (parent) { parent.appendChild(e); }
    return e;
  }
  function defined(v) { return typeof v === 'number' && isFinite(v); }
  function trim(v) { return String(parseFloat(v.toPrecision(4))); }
  function fmt(v) {
    if (!defined(v)) { return '-'; }
    var a = Math.abs(v);
    if (a >= 1e6) { return trim(v / 1e6) + 'M'; }
    if (a >= 1e4) { return trim(v / 1e3) + 'k'; }
    return trim(v);
  }
  function clean(v) { return parseFloat(v.toPrecision(12)); }

  function linearTicks(lo, hi) {
    var raw = (hi - lo) / 5;
    if (!(raw > 0)) { return [lo]; }
    var mag = Math.pow(10, Math.floor(Math.log10(raw)));
    var r = raw / mag;
    var step = mag * (r < 1.5 ? 1 : r < 3.5 ? 2 : r < 7.5 ? 5 : 10);
    var out = [];
    for (var k = Math.ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9; k++) {
      out.push(clean(k * step));
    }
    return out;
  }
  function logTicks(lo, hi) {
    var all = [], decades = [];
    for (var d = Math.floor(Math.log10(lo)); d <= Math.ceil(Math.log10(hi)); d++) {
      [1, 2, 5].forEach(function (m) {
        var v = clean(m * Math.pow(10, d));
        if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) {
          all.push(v);
          if (m === 1) { decades.push(v); }
        }
      });
    }
    return all.length > 10 && decades.length >= 2 ? decades : all;
  }
  function scale(lo, hi, a, b, log) {
    var l = log ? Math.log10(lo) : lo, h = log ? Math.log10(hi) : hi;
    var f = function (v) { return a + ((log ? Math.log10(v) : v) - l) / (h - l) * (b - a); };
    f.inv = function (p) {
      var v = l + (p - a) / (b - a) * (h - l);
      return log ? Math.pow(10, v) : v;
    };
    return f;
  }

  /* The axes' ranges over every series, shown or not, so that hiding a
     strategy keeps the axes where they are. */
  function ranges(c) {
    var xs = [], ys = [0];
    c.series.forEach(function (s) {
      (s.points || []).forEach(function (p, i) {
        if (defined(p[0]) && (!c.x.log || p[0] > 0)) { xs.push(p[0]); }
        if (defined(p[1])) { ys.push(p[1]); }
        var b = s.band && s.band[i];
        if (b) { b.forEach(function (v) { if (defined(v)) { ys.push(v); } }); }
      });
      (s.values || []).forEach(function (v, i) {
        if (defined(v)) { ys.push(v + (s.err && defined(s.err[i]) ? s.err[i] : 0)); }
      });
    });
    if (c.hline) { ys.push(c.hline.y); }
    var x0 = defined(c.x.min) ? c.x.min : Math.min.apply(null, xs);
    var x1 = defined(c.x.max) ? c.x.max : Math.max.apply(null, xs);
    if (!(x1 > x0)) {
      if (c.x.log) { x0 = x0 / 2; x1 = x1 * 2; } else { x0 = x0 - 1; x1 = x1 + 1; }
    }
    var y1 = defined(c.y.max) ? c.y.max : Math.max.apply(null, ys) * 1.08;
    if (!(y1 > 0)) { y1 = 1; }
    return { x0: x0, x1: x1, y0: 0, y1: y1 };
  }

  /* The value series s shows at x: the step it is on, or its nearest
     point (by pixel distance along the x axis). */
  function valueAt(c, s, sx, x) {
    var best = null, bestD = Infinity;
    s.points.forEach(function (p, i) {
      if (!defined(p[0]) || (c.x.log && p[0] <= 0)) { return; }
      if (c.step) {
        if (p[0] <= x) { best = i; }
      } else {
        var d = Math.abs(sx(p[0]) - sx(x));
        if (d < bestD) { bestD = d; best = i; }
      }
    });
    return best;
  }

  function draw(fig, box, c, hidden) {
    box.textContent = '';
    var W = Math.round(Math.max(300, Math.min(box.clientWidth || 960, 1200)));
    var H = Math.round(Math.max(260, Math.min(W < 640 ? W * 0.85 : W * 0.5, 540)));
    var m = { l: 62, r: 18, t: 12, b: 46 };
    var R = ranges(c);
    var svg = svgEl(box, 'svg', {
      viewBox: '0 0 ' + W + ' ' + H, width: W, height: H, role: 'img',
      'aria-label': fig.querySelector('h3') ? fig.querySelector('h3').textContent : c.id
    });
    var sy = scale(R.y0, R.y1, H - m.b, m.t, false);
    var bars = c.kind === 'bar';
    var sx = bars ? null : scale(R.x0, R.x1, m.l, W - m.r, c.x.log);
    var grid = svgEl(svg, 'g', { 'class': 'grid' });
    linearTicks(R.y0, R.y1).forEach(function (v) {
      var y = sy(v);
      svgEl(grid, 'line', { x1: m.l, x2: W - m.r, y1: y, y2: y, stroke: '#e4e4e4' });
      svgEl(grid, 'text', { x: m.l - 6, y: y + 4, 'text-anchor': 'end', fill: '#555' }, fmt(v));
    });
    if (sx) {
      (c.x.log ? logTicks(R.x0, R.x1) : linearTicks(R.x0, R.x1)).forEach(function (v) {
        var x = sx(v);
        svgEl(grid, 'line', { x1: x, x2: x, y1: m.t, y2: H - m.b, stroke: '#f0f0f0' });
        svgEl(grid, 'text', { x: x, y: H - m.b + 16, 'text-anchor': 'middle', fill: '#555' }, fmt(v));
      });
    }
    svgEl(grid, 'line', { x1: m.l, x2: W - m.r, y1: H - m.b, y2: H - m.b, stroke: '#888' });
    svgEl(svg, 'text', { x: (m.l + W - m.r) / 2, y: H - 8, 'text-anchor': 'middle', fill: '#333' }, c.x.title);
    svgEl(svg, 'text', {
      x: 0, y: 0, 'text-anchor': 'middle', fill: '#333',
      transform: 'translate(14 ' + (m.t + H - m.b) / 2 + ') rotate(-90)'
    }, c.y.title);
    (c.spans || []).forEach(function (sp) {
      var a = Math.max(sx(sp[0]), m.l), b = Math.min(sx(sp[1]), W - m.r);
      if (b > a) {
        svgEl(svg, 'rect', { x: a, y: m.t, width: b - a, height: H - m.b - m.t, fill: '#000', 'fill-opacity': 0.07 });
      }
    });
    if (c.hline) {
      var hy = sy(c.hline.y);
      svgEl(svg, 'line', { x1: m.l, x2: W - m.r, y1: hy, y2: hy, stroke: '#333', 'stroke-dasharray': '6 4' });
      svgEl(svg, 'text', { x: W - m.r - 4, y: hy - 5, 'text-anchor': 'end', fill: '#333' }, c.hline.label);
    }
    var shown = c.series.filter(function (s) { return !hidden[s.s]; });
    var cats = bars ? c.x.labels : [];
    var gw = bars ? (W - m.l - m.r) / Math.max(cats.length, 1) : 0;
    if (bars) {
      cats.forEach(function (label, k) {
        svgEl(grid, 'text', { x: m.l + gw * (k + 0.5), y: H - m.b + 16, 'text-anchor': 'middle', fill: '#555' }, label);
      });
      var bw = gw * 0.8 / Math.max(shown.length, 1);
      shown.forEach(function (s, j) {
        var g = svgEl(svg, 'g', { 'class': 'series', 'data-s': s.s });
        s.values.forEach(function (v, k) {
          if (!defined(v)) { return; }
          var x = m.l + gw * k + gw * 0.1 + bw * j;
          svgEl(g, 'rect', { x: x, y: sy(Math.max(v, 0)), width: Math.max(bw - 2, 1), height: Math.abs(sy(0) - sy(v)), fill: s.color });
          var e = s.err && s.err[k];
          if (defined(e) && e > 0) {
            var cx = x + bw / 2 - 1;
            svgEl(g, 'path', {
              d: 'M' + (cx - 4) + ' ' + sy(v + e) + 'h8M' + cx + ' ' + sy(v + e) + 'V' + sy(Math.max(v - e, 0)) + 'M' + (cx - 4) + ' ' + sy(Math.max(v - e, 0)) + 'h8',
              stroke: '#222', fill: 'none'
            });
          }
        });
      });
    } else {
      shown.forEach(function (s) {
        var g = svgEl(svg, 'g', { 'class': 'series', 'data-s': s.s });
        if (s.band) {
          var run = [];
          var flush = function () {
            if (run.length > 1) {
              var top = run.map(function (q) { return sx(q[0]) + ',' + sy(q[2]); });
              var bottom = run.slice().reverse().map(function (q) { return sx(q[0]) + ',' + sy(q[1]); });
              svgEl(g, 'polygon', { points: top.concat(bottom).join(' '), fill: s.color, 'fill-opacity': 0.15 });
            }
            run = [];
          };
          s.points.forEach(function (p, i) {
            var b = s.band[i];
            if (defined(p[0]) && b && defined(b[0]) && defined(b[1]) && (!c.x.log || p[0] > 0)) {
              run.push([p[0], b[0], b[1]]);
            } else { flush(); }
          });
          flush();
        }
        var d = '', pen = 'M';
        s.points.forEach(function (p) {
          if (!defined(p[0]) || !defined(p[1]) || (c.x.log && p[0] <= 0)) { pen = 'M'; return; }
          d += pen + sx(p[0]).toFixed(1) + ' ' + sy(p[1]).toFixed(1);
          pen = 'L';
        });
        var attrs = { d: d, fill: 'none', stroke: s.color, 'stroke-width': 2, 'stroke-linejoin': 'round' };
        if (s.dash) { attrs['stroke-dasharray'] = '7 4'; }
        svgEl(g, 'path', attrs);
        if (!c.step) {
          s.points.forEach(function (p) {
            if (defined(p[0]) && defined(p[1]) && (!c.x.log || p[0] > 0)) {
              svgEl(g, 'circle', { cx: sx(p[0]), cy: sy(p[1]), r: 3, fill: s.color });
            }
          });
        }
      });
    }
    var cross = svgEl(svg, 'line', { y1: m.t, y2: H - m.b, stroke: '#888', visibility: 'hidden', 'class': 'cross' });
    var tip = htmlEl(box, 'div', 'tip');
    function swatchRow(s, text) {
      var row = htmlEl(tip, 'div');
      htmlEl(row, 'span', 'swatch').style.background = s.color;
      htmlEl(row, 'span', '', text);
    }
    function hide() { tip.style.display = 'none'; cross.setAttribute('visibility', 'hidden'); }
    svg.addEventListener('mouseleave', hide);
    svg.addEventListener('mousemove', function (ev) {
      var r = svg.getBoundingClientRect();
      var px = (ev.clientX - r.left) * W / r.width, py = (ev.clientY - r.top) * H / r.height;
      if (px < m.l || px > W - m.r || py < m.t || py > H - m.b || !shown.length) { hide(); return; }
      tip.textContent = '';
      var unit = c.y.unit || '';
      if (bars) {
        var k = Math.min(Math.floor((px - m.l) / gw), cats.length - 1);
        htmlEl(tip, 'b', '', cats[k] || c.y.title);
        shown.forEach(function (s) {
          var e = s.err && s.err[k];
          swatchRow(s, s.name + ': ' + fmt(s.values[k]) + unit + (defined(e) ? ' \u00b1 ' + fmt(e) + unit : ''));
        });
        cross.setAttribute('visibility', 'hidden');
      } else {
        var x = sx.inv(px), at = x;
        var rows = [];
        shown.forEach(function (s) {
          var i = valueAt(c, s, sx, x);
          if (i === null) { return; }
          var p = s.points[i];
          if (!c.step && !rows.length) { at = p[0]; }
          var b = s.band && s.band[i];
          var ci = b && defined(b[0]) && defined(b[1]) ? ' (' + fmt(b[0]) + '\u2013' + fmt(b[1]) + ')' : '';
          rows.push([s, s.name + ': ' + fmt(p[1]) + unit + ci]);
        });
        htmlEl(tip, 'b', '', c.x.name + ' ' + fmt(at));
        rows.forEach(function (row) { swatchRow(row[0], row[1]); });
        cross.setAttribute('x1', sx(at));
        cross.setAttribute('x2', sx(at));
        cross.setAttribute('visibility', 'visible');
      }
      tip.style.display = 'block';
      var br = box.getBoundingClientRect();
      var left = ev.clientX - br.left + 14;
      if (left + tip.offsetWidth > br.width) { left = Math.max(0, ev.clientX - br.left - 14 - tip.offsetWidth); }
      tip.style.left = left + 'px';
      tip.style.top = (ev.clientY - br.top + 14) + 'px';
    });
  }

  var redraws = [];
  charts.forEach(function (c) {
    var fig = document.getElementById(c.id);
    if (!fig) { return; }
    var hidden = {};
    var keys = htmlEl(null, 'div', 'keys');
    var box = htmlEl(null, 'div', 'ichart');
    var caption = fig.querySelector('figcaption');
    fig.insertBefore(keys, caption);
    fig.insertBefore(box, caption);
    fig.classList.add('js');
    c.strategies.forEach(function (st, i) {
      var b = htmlEl(keys, 'button', 'key');
      b.type = 'button';
      b.setAttribute('data-s', i);
      b.setAttribute('aria-pressed', 'true');
      b.title = 'Hide or show ' + st.name;
      htmlEl(b, 'span', 'swatch').style.background = st.color;
      htmlEl(b, 'span', '', st.name);
      b.addEventListener('click', function () {
        hidden[i] = !hidden[i];
        b.classList.toggle('off', hidden[i]);
        b.setAttribute('aria-pressed', hidden[i] ? 'false' : 'true');
        draw(fig, box, c, hidden);
      });
    });
    var width = box.clientWidth;
    draw(fig, box, c, hidden);
    redraws.push(function () {
      if (box.clientWidth !== width) {
        width = box.clientWidth;
        draw(fig, box, c, hidden);
      }
    });
  });
  window.addEventListener('resize', function () { redraws.forEach(function (f) { f(); }); });

  var NUMBER = /^-?[\d,]*\.?\d+(?:e[-+]?\d+)?\s*(?:%|s|ms)?(?:\s*\u00b1.*)?$/i;
  function sortKey(cell) {
    var t = cell.textContent.trim();
    if (t === '' || t === '-') { return null; }
    return NUMBER.test(t) ? parseFloat(t.replace(/,/g, '')) : t;
  }
  function compare(a, b) {
    if (a === null || b === null) { return a === b ? 0 : a === null ? 1 : -1; }
    if (typeof a !== typeof b) { return typeof a === 'number' ? -1 : 1; }
    return a < b ? -1 : a > b ? 1 : 0;
  }
  Array.prototype.forEach.call(document.querySelectorAll('main table'), function (table) {
    var body = table.tBodies[0];
    var heads = table.querySelectorAll('thead th');
    if (!body) { return; }
    Array.prototype.forEach.call(heads, function (th, col) {
      th.classList.add('sortable');
      th.tabIndex = 0;
      var sort = function () {
        var down = th.getAttribute('aria-sort') === 'ascending';
        Array.prototype.forEach.call(heads, function (h) { h.removeAttribute('aria-sort'); });
        th.setAttribute('aria-sort', down ? 'descending' : 'ascending');
        var rows = Array.prototype.slice.call(body.rows);
        var keyed = rows.map(function (row, i) {
          return { row: row, key: row.cells[col] ? sortKey(row.cells[col]) : null, i: i };
        });
        keyed.sort(function (a, b) {
          var c = compare(a.key, b.key);
          if (down && a.key !== null && b.key !== null) { c = -c; }
          return c || a.i - b.i;
        });
        keyed.forEach(function (k) { body.appendChild(k.row); });
      };
      th.addEventListener('click', sort);
      th.addEventListener('keydown', function (ev) {
        if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); sort(); }
      });
    });
  });
}());
