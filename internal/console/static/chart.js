// Small SVG charts drawn without a library: stacked bars over time and
// horizontal bars by group.

const NS = 'http://www.w3.org/2000/svg';

export const PALETTE = ['#4f46e5', '#0ea5e9', '#10b981', '#f59e0b', '#ef4444', '#8b5cf6', '#ec4899', '#64748b'];

function s(tag, attrs = {}, ...kids) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  for (const k of kids) el.append(k);
  return el;
}

function title(text) {
  const t = s('title');
  t.textContent = text;
  return t;
}

function label(x, y, text, anchor = 'middle') {
  const t = s('text', { x, y, 'text-anchor': anchor });
  t.textContent = text;
  return t;
}

// niceMax rounds v up to 1, 2, 2.5 or 5 times a power of ten.
function niceMax(v) {
  if (!(v > 0)) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function legend(series) {
  const div = document.createElement('div');
  div.className = 'legend';
  for (const x of series) {
    const sp = document.createElement('span');
    sp.style.setProperty('--c', x.color);
    sp.textContent = x.name;
    div.append(sp);
  }
  return div;
}

function empty(text) {
  const div = document.createElement('div');
  div.className = 'chart-empty';
  div.textContent = text;
  return div;
}

// stackedBars draws one bar per bucket with a segment per series.
// opts: {buckets: [label...], series: [{name, color, values: []}], format, title}
export function stackedBars(opts) {
  const { buckets, series, format } = opts;
  const wrap = document.createElement('div');
  wrap.className = 'chart';
  if (opts.testid) wrap.dataset.testid = opts.testid;
  const totals = buckets.map((_, i) => series.reduce((a, x) => a + (x.values[i] || 0), 0));
  if (!buckets.length || totals.every((t) => t === 0)) {
    wrap.append(empty('No spend recorded yet'));
    return wrap;
  }
  const W = 480, H = 220, L = 58, R = 6, T = 10, B = 24;
  const max = niceMax(Math.max(...totals));
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': opts.title || 'chart' });
  const ph = H - T - B, pw = W - L - R;
  for (let i = 0; i <= 4; i++) {
    const y = T + ph - (ph * i) / 4;
    svg.append(s('line', { x1: L, x2: W - R, y1: y, y2: y, class: i ? 'grid' : 'axis' }));
    svg.append(label(L - 6, y + 4, format((max * i) / 4), 'end'));
  }
  const step = pw / buckets.length;
  const bw = Math.max(2, Math.min(36, step * 0.72));
  const every = Math.ceil(buckets.length / 6);
  buckets.forEach((b, i) => {
    const x = L + step * i + (step - bw) / 2;
    let y = T + ph;
    for (const ser of series) {
      const v = ser.values[i] || 0;
      if (v <= 0) continue;
      const h = Math.max(1, (v / max) * ph);
      y -= h;
      svg.append(s('rect', { class: 'seg', x, y, width: bw, height: h, fill: ser.color, rx: 1.5 },
        title(`${b}\n${ser.name}: ${format(v)}`)));
    }
    if (i % every === 0) svg.append(label(x + bw / 2, H - 8, b));
  });
  wrap.append(svg, legend(series));
  return wrap;
}

// hbars draws one horizontal bar per item: [{name, value, color}].
export function hbars(items, format, testid) {
  const wrap = document.createElement('div');
  wrap.className = 'chart';
  if (testid) wrap.dataset.testid = testid;
  if (!items.length || items.every((x) => !x.value)) {
    wrap.append(empty('No spend recorded yet'));
    return wrap;
  }
  const rowH = 28, W = 480, L = 130, R = 70;
  const H = items.length * rowH + 6;
  const max = Math.max(...items.map((x) => x.value)) || 1;
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img' });
  items.forEach((x, i) => {
    const y = 3 + i * rowH;
    const w = Math.max(2, ((W - L - R) * x.value) / max);
    const name = x.name.length > 22 ? x.name.slice(0, 21) + '…' : x.name;
    svg.append(label(L - 8, y + 16, name, 'end'));
    svg.append(s('rect', { class: 'seg', x: L, y: y + 4, width: w, height: rowH - 10, rx: 3, fill: x.color }, title(`${x.name}: ${format(x.value)}`)));
    svg.append(label(L + w + 6, y + 16, format(x.value), 'start'));
  });
  wrap.append(svg);
  return wrap;
}

// bucketing picks a bucket size so that [from, to] spans at most ~24 buckets.
export function bucketing(from, to) {
  const sizes = [60e3, 5 * 60e3, 15 * 60e3, 3600e3, 6 * 3600e3, 86400e3, 7 * 86400e3, 30 * 86400e3];
  const span = Math.max(to - from, 1);
  const size = sizes.find((z) => span / z <= 24) || sizes[sizes.length - 1];
  const start = Math.floor(from / size) * size;
  const n = Math.floor((to - start) / size) + 1;
  return { size, start, n };
}
