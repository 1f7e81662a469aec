// batchgate console: a single-page app on the gateway's own JSON API.
// The key the user signs in with stays in sessionStorage and goes in the
// Authorization header of every call; the API decides what the key may see.

import { stackedBars, hbars, bucketing, PALETTE } from './chart.js';

const KEY = 'batchgate.key';
const TERMINAL = new Set(['completed', 'failed', 'expired', 'cancelled']);
const REFRESH_MS = 2000;

const state = {
  key: sessionStorage.getItem(KEY) || '',
  admin: false,
  self: null, // /key/info of a virtual key
  models: [],
  keyNames: new Map(), // key_id -> display name (admin)
  timers: [],
  route: '',
};

// ---------- DOM helpers ----------

function h(tag, attrs, ...kids) {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') el.className = v;
      else if (k === 'testid') el.dataset.testid = v;
      else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
      else if (k === 'value') el.value = v;
      else if (k === 'checked') el.checked = !!v;
      else el.setAttribute(k, v === true ? '' : v);
    }
  }
  for (const k of kids.flat(Infinity)) {
    if (k === undefined || k === null || k === false) continue;
    el.append(k instanceof Node ? k : String(k));
  }
  return el;
}

function toast(msg, bad = false) {
  const t = h('div', { class: 'toast' + (bad ? ' bad' : ''), role: 'status' }, msg);
  document.getElementById('toasts').append(t);
  setTimeout(() => t.remove(), bad ? 7000 : 3500);
}

// ---------- formatting ----------

const nf = new Intl.NumberFormat('en-US');
const fmtInt = (n) => nf.format(n || 0);
function fmtMoney(v) {
  if (v === null || v === undefined) return '—';
  if (v === 0) return '$0';
  if (Math.abs(v) < 0.01) return '$' + v.toPrecision(2);
  if (Math.abs(v) < 1) return '$' + v.toFixed(4).replace(/0{1,2}$/, '');
  if (Math.abs(v) < 100) return '$' + v.toFixed(2);
  return '$' + nf.format(Math.round(v));
}
function fmtTokens(v) {
  if (v >= 1e9) return (v / 1e9).toFixed(1) + 'B';
  if (v >= 1e6) return (v / 1e6).toFixed(1) + 'M';
  if (v >= 1e3) return (v / 1e3).toFixed(1) + 'k';
  return String(Math.round(v));
}
function fmtBytes(b) {
  if (b >= 1 << 30) return (b / (1 << 30)).toFixed(1) + ' GiB';
  if (b >= 1 << 20) return (b / (1 << 20)).toFixed(1) + ' MiB';
  if (b >= 1 << 10) return (b / (1 << 10)).toFixed(1) + ' KiB';
  return b + ' B';
}
const toMs = (t) => (typeof t === 'number' ? t * 1000 : Date.parse(t));
function fmtTime(t) {
  if (t === null || t === undefined) return '—';
  return new Date(toMs(t)).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}
function fmtDur(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return s + 's';
  if (s < 3600) return Math.floor(s / 60) + 'm ' + (s % 60) + 's';
  if (s < 86400) return Math.floor(s / 3600) + 'h ' + Math.floor((s % 3600) / 60) + 'm';
  return Math.floor(s / 86400) + 'd ' + Math.floor((s % 86400) / 3600) + 'h';
}
function fmtAge(t) {
  if (t === null || t === undefined) return '—';
  const ms = Date.now() - toMs(t);
  return ms < 5000 ? 'just now' : fmtDur(ms).split(' ')[0] + ' ago';
}
const statusLabel = (s) => s.replace('_', ' ');
const badge = (s) => h('span', { class: 'badge ' + s, testid: 'status' }, statusLabel(s));
const chips = (list) => (list && list.length ? list.map((m) => h('span', { class: 'chip' }, m)) : h('span', { class: 'muted' }, 'all models'));

// ---------- API ----------

class APIError extends Error {
  constructor(status, body) {
    super((body && body.error && body.error.message) || `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

async function api(path, { method = 'GET', body, headers = {}, raw = false } = {}) {
  const hd = { Authorization: 'Bearer ' + state.key, ...headers };
  let payload;
  if (body !== undefined) {
    payload = JSON.stringify(body);
    hd['Content-Type'] = 'application/json';
  }
  const r = await fetch(path, { method, headers: hd, body: payload });
  if (r.status === 401 && state.key) {
    signOut('Your key was refused; sign in again.');
    throw new APIError(401, null);
  }
  if (raw && r.ok) return r;
  const text = await r.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = text;
  }
  if (!r.ok) throw new APIError(r.status, data);
  return data;
}

// upload posts a multipart form with progress (fetch cannot report upload progress).
function upload(path, form, onProgress) {
  return new Promise((resolve, reject) => {
    const x = new XMLHttpRequest();
    x.open('POST', path);
    x.setRequestHeader('Authorization', 'Bearer ' + state.key);
    x.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
    x.onload = () => {
      let data = null;
      try {
        data = JSON.parse(x.responseText);
      } catch {
        /* not JSON */
      }
      if (x.status >= 200 && x.status < 300) resolve(data);
      else reject(new APIError(x.status, data));
    };
    x.onerror = () => reject(new Error('network error'));
    x.send(form);
  });
}

// download fetches a file's content with the key and saves it as a blob.
async function download(fileID, filename, raw = false) {
  try {
    const r = await api(`/v1/files/${encodeURIComponent(fileID)}/content`, {
      raw: true,
      headers: raw ? { 'custom-llm-provider': 'bedrock' } : {},
    });
    const blob = await r.blob();
    const url = URL.createObjectURL(blob);
    const a = h('a', { href: url, download: filename });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
    toast(`Downloaded ${filename} (${fmtBytes(blob.size)})`);
  } catch (e) {
    toast('Download failed: ' + e.message, true);
  }
}

// head reads the first lines of a file (at most 64 KiB) without fetching it all.
async function head(fileID, maxLines) {
  const r = await api(`/v1/files/${encodeURIComponent(fileID)}/content`, { raw: true });
  const reader = r.body.getReader();
  const dec = new TextDecoder();
  let text = '';
  while (text.length < 65536 && text.split('\n').length <= maxLines) {
    const { done, value } = await reader.read();
    if (done) break;
    text += dec.decode(value, { stream: true });
  }
  reader.cancel().catch(() => {});
  return text.split('\n').filter((l) => l.trim()).slice(0, maxLines);
}

async function allKeys() {
  const out = [];
  for (let page = 1; ; page++) {
    const r = await api(`/key/list?return_full_object=true&size=100&page=${page}`);
    out.push(...r.keys);
    if (page >= r.total_pages) break;
  }
  for (const k of out) state.keyNames.set(k.key_id, keyName(k));
  return out;
}
const keyName = (k) => k.key_alias || k.key_name;

// Owners (of batches and spend logs) name their key by its key_id. The
// master key's spend logs name its SHA-256, as LiteLLM's do (key IDs are
// "key-…", never 64 hex digits); its batches name no key.
function ownerName(keyID) {
  if (!keyID || /^[0-9a-f]{64}$/.test(keyID)) return 'master key';
  if (state.self && state.self.key_id === keyID) return keyName(state.self) + ' (you)';
  return state.keyNames.get(keyID) || keyID.slice(0, 10) + '…';
}

// ---------- session ----------

async function signIn(key) {
  state.key = key;
  // An admin route answers 200 to the master key and 403 to a virtual key.
  const r = await fetch('/key/list?size=1', { headers: { Authorization: 'Bearer ' + key } });
  if (r.status === 401) {
    state.key = '';
    const body = await r.json().catch(() => null);
    throw new APIError(401, body);
  }
  state.admin = r.ok;
  state.self = null;
  if (!state.admin) state.self = (await api('/key/info')).info;
  sessionStorage.setItem(KEY, key);
  state.models = ((await api('/v1/models')).data || []).map((m) => m.id);
}

function signOut(msg) {
  sessionStorage.removeItem(KEY);
  state.key = '';
  state.admin = false;
  state.self = null;
  state.keyNames.clear();
  clearTimers();
  renderLogin(msg);
}

function renderLogin(msg) {
  const input = h('input', { type: 'password', name: 'key', placeholder: 'sk-…', autocomplete: 'off', testid: 'login-key', required: true });
  const err = h('div', { class: 'error-text', testid: 'login-error' }, msg || '');
  const form = h('form', {
    onsubmit: async (e) => {
      e.preventDefault();
      err.textContent = '';
      try {
        await signIn(input.value.trim());
        if (!location.hash || location.hash === '#/') location.hash = '#/batches';
        renderShell();
      } catch (x) {
        err.textContent = x.status === 401 ? 'That key is not valid.' : x.message;
      }
    },
  },
  h('label', null, 'API key ', h('span', { class: 'hint' }, '(the master key or a virtual key)'), input),
  err,
  h('button', { class: 'primary', type: 'submit', testid: 'login-submit' }, 'Sign in'));
  const app = document.getElementById('app');
  app.className = '';
  app.replaceChildren(h('div', { class: 'login' }, h('div', { class: 'box' },
    h('div', { class: 'brand' }, h('img', { src: 'favicon.svg', alt: '' }), 'batchgate'),
    h('p', null, 'Bedrock batch inference behind the OpenAI Batch API.'),
    form, masterKeyHelp())));
  input.focus();
}

// masterKeyHelp says where the master key is, as `batchgate serve` keeps it:
// printed at start; without --config in the data directory's master_key
// file; with a config, general_settings.master_key or LITELLM_MASTER_KEY.
function masterKeyHelp() {
  const c = (t) => h('code', null, t);
  return h('div', { class: 'help', testid: 'login-help' },
    h('b', null, 'Where is the master key?'),
    h('p', null, c('batchgate serve'), ' prints it when it starts. Without ', c('--config'), ' it is kept in the file ',
      c('master_key'), ' in the data directory (', c('.batchgate/master_key'), ' by default, or the directory given by ',
      c('--data'), ' or ', c('BATCHGATE_DATA'), '). With a config file it is ', c('general_settings.master_key'),
      ' or the ', c('LITELLM_MASTER_KEY'), ' environment variable.'),
    h('p', null, 'A virtual key is created by an admin on the Keys page.'));
}

// ---------- shell and routing ----------

function clearTimers() {
  for (const t of state.timers) clearInterval(t);
  state.timers = [];
}
function every(ms, fn) {
  state.timers.push(setInterval(() => {
    if (!document.hidden) fn();
  }, ms));
}

const ROUTES = [
  { re: /^#\/batches\/([^/]+)$/, page: batchPage, nav: 'batches' },
  { re: /^#\/batches$/, page: batchesPage, nav: 'batches' },
  { re: /^#\/files$/, page: filesPage, nav: 'files' },
  { re: /^#\/spend$/, page: spendPage, nav: 'spend' },
  { re: /^#\/keys$/, page: keysPage, nav: 'keys', admin: true },
  { re: /^#\/users\/([^/]+)$/, page: userPage, nav: 'users', admin: true },
  { re: /^#\/users$/, page: usersPage, nav: 'users', admin: true },
  { re: /^#\/teams\/([^/]+)$/, page: teamPage, nav: 'teams', admin: true },
  { re: /^#\/teams$/, page: teamsPage, nav: 'teams', admin: true },
  { re: /^#\/key$/, page: myKeyPage, nav: 'key' },
];

function renderShell() {
  const nav = [
    ['batches', 'Batches'],
    ['files', 'Files'],
    ['spend', 'Spend'],
  ];
  const admin = [
    ['keys', 'Keys'],
    ['users', 'Users'],
    ['teams', 'Teams'],
  ];
  const link = ([id, text]) => h('a', { href: '#/' + id, 'data-nav': id, testid: 'nav-' + id }, text);
  const who = state.admin
    ? h('div', { class: 'who' }, h('b', null, 'Master key'), h('span', { class: 'badge admin' }, 'admin'))
    : h('div', { class: 'who' }, h('b', null, keyName(state.self)), h('span', null, 'virtual key'));
  who.append(h('button', { onclick: () => signOut(), testid: 'sign-out' }, 'Sign out'));
  const app = document.getElementById('app');
  app.className = '';
  app.replaceChildren(h('div', { class: 'shell' },
    h('aside', { class: 'sidebar' },
      h('div', { class: 'brand' }, h('img', { src: 'favicon.svg', alt: '' }), 'batchgate'),
      h('nav', { class: 'nav' },
        nav.map(link),
        state.admin ? [h('div', { class: 'sep' }, 'Admin'), admin.map(link)] : link(['key', 'My key'])),
      who),
    h('main', { class: 'main', id: 'main' })));
  route();
}

async function route() {
  if (!state.key) return;
  clearTimers();
  let hash = location.hash;
  if (!hash || hash === '#/' || hash === '#') hash = '#/batches';
  state.route = hash;
  let match = null, r = null;
  for (const x of ROUTES) {
    match = hash.match(x.re);
    if (match) {
      r = x;
      break;
    }
  }
  const main = document.getElementById('main');
  if (!main) return;
  for (const a of document.querySelectorAll('.nav a')) a.classList.toggle('active', r && a.dataset.nav === r.nav);
  if (!r) {
    main.replaceChildren(pageHead('Not found'), h('div', { class: 'panel empty' }, 'No such page.'));
    return;
  }
  if (r.admin && !state.admin) {
    needsMaster(main, r.nav);
    return;
  }
  main.replaceChildren();
  try {
    await r.page(main, ...match.slice(1).map(decodeURIComponent));
  } catch (e) {
    if (stale(hash)) return;
    // The API refuses admin routes to a virtual key with 403.
    if (e.status === 403 && !state.admin && /master key|admin/i.test(e.message)) needsMaster(main, r.nav);
    else if (e.status !== 401) main.append(h('div', { class: 'panel error-text' }, e.message));
  }
}

const PAGE_NAMES = { keys: 'Keys', users: 'Users', teams: 'Teams' };

// needsMaster explains that an admin page is not for a virtual key, and
// offers to sign in with the master key (the address is kept, so the page
// opens after signing in).
function needsMaster(main, nav) {
  const name = PAGE_NAMES[nav] || 'This';
  main.replaceChildren(pageHead(name), h('div', { class: 'panel needs-master', testid: 'needs-master' },
    h('h2', null, 'Master key needed'),
    h('p', null, `The ${name} page needs the master key: keys, users and teams are managed by the gateway's admin. `,
      'You are signed in with the virtual key ', h('b', null, state.self ? keyName(state.self) : 'a virtual key'),
      ', which sees its own batches, files and spend, and its key.'),
    h('div', { class: 'toolbar' },
      h('button', { class: 'primary', testid: 'sign-in-master', onclick: () => signOut(`Sign in with the master key to open the ${name} page.`) }, 'Sign in with the master key'),
      h('a', { class: 'btn', href: '#/key' }, 'My key'))));
}

// stale reports whether the user has moved on since a page started loading.
const stale = (hash) => state.route !== hash;

function pageHead(title, ...right) {
  return h('div', { class: 'pagehead' }, h('h1', null, title), h('div', { class: 'spacer' }), right);
}

function progress(rc, big = false) {
  const total = rc.total || 0;
  const done = total ? (100 * rc.completed) / total : 0;
  const fail = total ? (100 * rc.failed) / total : 0;
  const bar = h('div', { class: 'bar' + (big ? ' big' : '') }, h('div', { class: 'done' }), h('div', { class: 'fail' }));
  bar.children[0].style.width = done + '%';
  bar.children[1].style.width = fail + '%';
  const text = total ? `${fmtInt(rc.completed + rc.failed)} / ${fmtInt(total)}` : '—';
  return h('div', { class: 'progress', testid: 'progress', title: `${rc.completed} completed, ${rc.failed} failed of ${total}` }, bar, h('span', { class: 'pct' }, text));
}

function budget(spend, max) {
  if (max === null || max === undefined) return h('span', null, fmtMoney(spend), h('span', { class: 'muted small' }, ' / no limit'));
  const pct = max > 0 ? Math.min(100, (100 * spend) / max) : 100;
  const bar = h('div', { class: 'bar budget' + (pct >= 100 ? ' over' : pct >= 80 ? ' high' : '') }, h('div', { class: 'done' }));
  bar.firstChild.style.width = pct + '%';
  return h('div', { class: 'progress', title: `${fmtMoney(spend)} of ${fmtMoney(max)}` }, bar, h('span', { class: 'pct' }, `${fmtMoney(spend)} / ${fmtMoney(max)}`));
}

// ---------- batches ----------

async function spendByBatch() {
  const logs = await api('/spend/logs');
  const m = new Map();
  for (const l of logs) m.set(l.request_id, l);
  return { logs, byBatch: m };
}

async function batchesPage(main) {
  const hash = state.route;
  let filter = 'all';
  const tableBox = h('div', { class: 'panel flush' });
  const cards = h('div', { class: 'cards' });
  const filterSel = h('select', { testid: 'status-filter', onchange: () => { filter = filterSel.value; refresh(); } },
    ['all', 'running', 'completed', 'failed', 'cancelled'].map((s) => h('option', { value: s }, s === 'all' ? 'All statuses' : s)));
  main.append(
    pageHead('Batches', h('span', { class: 'muted small', id: 'live' }, h('span', { class: 'dot' }), 'live'),
      h('div', { class: 'toolbar' }, filterSel), h('button', { class: 'primary', onclick: newBatchDialog, testid: 'new-batch' }, 'New batch')),
    cards, tableBox);
  if (state.admin) await allKeys().catch(() => {});

  async function refresh() {
    const [list, spend] = await Promise.all([api('/v1/batches?limit=100'), spendByBatch()]);
    if (stale(hash)) return;
    const all = list.data;
    const running = all.filter((b) => !TERMINAL.has(b.status));
    const totalCost = spend.logs.reduce((a, l) => a + l.spend, 0);
    cards.replaceChildren(
      card('Running', fmtInt(running.length), `${fmtInt(running.reduce((a, b) => a + b.request_counts.total, 0))} requests`, 'card-running'),
      card('Completed', fmtInt(all.filter((b) => b.status === 'completed').length), 'of the last ' + all.length),
      card('Failed', fmtInt(all.filter((b) => b.status === 'failed' || b.status === 'expired').length), 'failed or expired'),
      card('Spend', fmtMoney(totalCost), `${fmtTokens(spend.logs.reduce((a, l) => a + l.total_tokens, 0))} tokens`, 'card-spend'));
    const shown = all.filter((b) => filter === 'all' || (filter === 'running' ? !TERMINAL.has(b.status) : b.status === filter));
    if (!shown.length) {
      tableBox.replaceChildren(h('div', { class: 'empty', testid: 'no-batches' }, all.length ? 'No batch has this status.' : 'No batches yet. Upload a JSONL file with “New batch”, or use the API.'));
      return;
    }
    tableBox.replaceChildren(h('table', { testid: 'batches-table' },
      h('thead', null, h('tr', null, ['Batch', 'Status', 'Progress', 'Model', 'Owner', 'Created', 'Cost'].map((t, i) => h('th', { class: i === 6 ? 'num' : '' }, t)))),
      h('tbody', null, shown.map((b) => {
        const log = spend.byBatch.get(b.id);
        const owner = b.owner ? ownerName(b.owner.api_key) : log ? ownerName(log.api_key) : '—';
        return h('tr', { class: 'link', testid: 'batch-row', 'data-id': b.id, onclick: () => (location.hash = '#/batches/' + b.id) },
          h('td', null, h('a', { href: '#/batches/' + b.id, class: 'mono' }, b.id),
            b.metadata && b.metadata.description ? h('div', { class: 'muted small' }, b.metadata.description) : null),
          h('td', null, badge(b.status)),
          h('td', null, progress(b.request_counts)),
          h('td', null, b.model || '—'),
          h('td', null, owner),
          h('td', { title: fmtTime(b.created_at) }, fmtAge(b.created_at)),
          h('td', { class: 'num', testid: 'batch-cost' }, log ? fmtMoney(log.spend) : '—'));
      }))));
  }
  await refresh();
  every(REFRESH_MS, () => refresh().catch(() => {}));
}

function card(label, value, sub, testid) {
  return h('div', { class: 'card', testid }, h('div', { class: 'label' }, label), h('div', { class: 'value' }, value), sub ? h('div', { class: 'sub' }, sub) : null);
}

function modal(title, body, { wide = false } = {}) {
  const d = h('dialog', { class: wide ? 'wide' : '' }, h('h2', null, title), body);
  d.addEventListener('close', () => d.remove());
  document.body.append(d);
  d.showModal();
  return d;
}

function modelChecks(selected = [], name = 'models') {
  if (!state.models.length) return h('div', { class: 'muted' }, 'No models configured.');
  return h('div', { class: 'checks' }, state.models.map((m) =>
    h('label', null, h('input', { type: 'checkbox', name, value: m, checked: selected.includes(m) }), m)));
}
const checked = (form, name) => [...form.querySelectorAll(`input[name="${name}"]:checked`)].map((x) => x.value);

async function guessEndpoint(file) {
  try {
    const text = await file.slice(0, 65536).text();
    const first = JSON.parse(text.split('\n').find((l) => l.trim()));
    return first.url || '';
  } catch {
    return '';
  }
}

function newBatchDialog() {
  const err = h('div', { class: 'error-text', testid: 'new-batch-error' });
  // The bar shows the upload's progress only while it runs: a refused file
  // shows the refusal and its problems, not a full bar.
  const bar = h('div', { class: 'bar big', testid: 'upload-bar', hidden: true }, h('div', { class: 'done' }));
  const stage = h('div', { class: 'muted small', testid: 'upload-stage' });
  const form = h('form', { method: 'dialog' },
    h('label', null, 'JSONL file ', h('span', { class: 'hint' }, '(OpenAI batch input, one request per line)'),
      h('input', { type: 'file', name: 'file', accept: '.jsonl,.json,.txt', required: true, testid: 'batch-file' })),
    h('label', null, 'Model', h('select', { name: 'model', testid: 'batch-model' }, state.models.map((m) => h('option', { value: m }, m)))),
    h('div', { class: 'row' },
      h('label', null, 'Completion window', h('select', { name: 'window' }, ['24h', '48h', '72h', '168h'].map((w) => h('option', { value: w }, w)))),
      h('label', null, 'Description ', h('span', { class: 'hint' }, '(metadata)'), h('input', { type: 'text', name: 'description', testid: 'batch-description' }))),
    bar, stage, err,
    h('div', { class: 'actions' },
      h('button', { type: 'button', onclick: () => d.close() }, 'Cancel'),
      h('button', { class: 'primary', type: 'submit', testid: 'batch-submit' }, 'Upload and start')));
  bar.firstChild.style.width = '0%';
  const d = modal('New batch', form);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    err.textContent = '';
    const file = form.file.files[0];
    if (!file) return;
    const btn = form.querySelector('button[type=submit]');
    btn.disabled = true;
    let uploaded = false;
    try {
      const fd = new FormData();
      fd.append('purpose', 'batch');
      fd.append('target_model_names', form.model.value);
      fd.append('file', file, file.name);
      stage.className = 'muted small';
      stage.textContent = 'Uploading and validating…';
      bar.firstChild.style.width = '0%';
      bar.hidden = false;
      const f = await upload('/v1/files', fd, (p) => (bar.firstChild.style.width = 100 * p + '%'));
      uploaded = true;
      stage.textContent = 'Creating the batch…';
      const req = { input_file_id: f.id, completion_window: form.window.value };
      const ep = await guessEndpoint(file);
      if (ep) req.endpoint = ep;
      if (form.description.value.trim()) req.metadata = { description: form.description.value.trim() };
      const b = await api('/v1/batches', { method: 'POST', body: req });
      d.close();
      toast('Batch ' + b.id + ' created');
      location.hash = '#/batches/' + b.id;
    } catch (x) {
      bar.hidden = true;
      bar.firstChild.style.width = '0%';
      stage.className = 'error-text';
      stage.textContent = uploaded ? `The batch was not created (${file.name} was uploaded).`
        : x.status ? `Upload refused: ${file.name} was not accepted.` : `Upload failed: ${file.name} did not reach the gateway.`;
      err.replaceChildren(...uploadProblems(x));
      btn.disabled = false;
    }
  });
}

// uploadProblems is a refusal's message and the problems the gateway lists
// line by line (error.data), all shown here rather than pointed to.
function uploadProblems(x) {
  const lines = (x.body && x.body.error && x.body.error.data) || [];
  const msg = x.message.replace(/:?\s*see error\.data/g, '');
  if (!lines.length) return [msg];
  const shown = lines.slice(0, 20);
  return [msg, h('ul', { class: 'problems' }, shown.map((l) => h('li', null, l.line ? `line ${l.line}: ${l.message}` : l.message)),
    lines.length > shown.length ? h('li', { class: 'muted' }, `and ${lines.length - shown.length} more`) : null)];
}

const STEPS = [
  ['created_at', 'Created', 'validated and queued'],
  ['in_progress_at', 'In progress', 'the Bedrock job is running'],
  ['finalizing_at', 'Finalizing', 'results are being written'],
  ['completed_at', 'Completed', 'results are ready'],
];

function timeline(b) {
  const ends = [
    ['failed_at', 'Failed'],
    ['expired_at', 'Expired'],
    ['cancelling_at', 'Cancelling'],
    ['cancelled_at', 'Cancelled'],
  ].filter(([k]) => b[k]);
  const steps = STEPS.filter(([k]) => !ends.length || b[k]).map(([k, t, w]) => ({ k, t, w, at: b[k] }));
  for (const [k, t] of ends) steps.push({ k, t, w: '', at: b[k], bad: k !== 'cancelling_at' });
  const lastReached = steps.map((s) => !!s.at).lastIndexOf(true);
  return h('ol', { class: 'timeline', testid: 'timeline' }, steps.map((s, i) => {
    const next = steps.slice(i + 1).find((x) => x.at);
    const cls = s.bad ? 'bad' : s.at ? (i === lastReached && !TERMINAL.has(b.status) ? 'current' : 'reached') : 'pending';
    return h('li', { class: cls, 'data-step': s.k },
      h('span', { class: 'mark' }),
      h('div', { class: 't' }, s.t),
      h('div', { class: 'w' }, s.at ? fmtTime(s.at) + (next ? ` · ${fmtDur(toMs(next.at) - toMs(s.at))}` : '') : s.w));
  }));
}

async function batchPage(main, id) {
  const hash = state.route;
  const head = h('div');
  const body = h('div');
  main.append(head, body);
  if (state.admin) await allKeys().catch(() => {});
  let errorsShown = false;
  const errPanel = h('div');

  async function refresh() {
    const [b, spend] = await Promise.all([api('/v1/batches/' + encodeURIComponent(id)), api('/spend/logs?request_id=' + encodeURIComponent(id))]);
    if (stale(hash)) return;
    const log = spend[0];
    const running = !TERMINAL.has(b.status);
    head.replaceChildren(pageHead(b.id,
      h('span', { testid: 'batch-status' }, badge(b.status)),
      running && b.status !== 'cancelling' ? h('button', { class: 'danger', testid: 'cancel-batch', onclick: () => cancel(b) }, 'Cancel batch') : null));
    head.firstChild.prepend(h('a', { href: '#/batches', class: 'crumb' }, 'Batches /'));
    const rc = b.request_counts;
    const u = b.usage || { input_tokens: 0, output_tokens: 0 };
    const dl = [];
    if (b.output_file_id) {
      dl.push(h('button', { class: 'primary', testid: 'download-output', onclick: () => download(b.output_file_id, `${b.id}_output.jsonl`) }, 'Download results'));
      dl.push(h('button', { testid: 'download-raw', onclick: () => download(b.output_file_id, `${b.id}_bedrock.jsonl.out`, true) }, 'Bedrock raw output'));
    }
    if (b.error_file_id) dl.push(h('button', { class: 'danger', testid: 'download-errors', onclick: () => download(b.error_file_id, `${b.id}_errors.jsonl`) }, 'Download errors'));
    dl.push(h('button', { testid: 'download-input', onclick: () => download(b.input_file_id, `${b.input_file_id}.jsonl`) }, 'Input file'));
    body.replaceChildren(
      h('div', { class: 'panel' },
        h('div', { class: 'row' },
          h('div', null, h('h3', null, 'Requests'), progress(rc, true),
            h('div', { class: 'muted small', testid: 'counts' }, `${fmtInt(rc.completed)} completed · ${fmtInt(rc.failed)} failed · ${fmtInt(rc.total)} total`)),
          h('div', null, h('h3', null, 'Tokens'), h('div', { class: 'value' }, `${fmtInt(u.input_tokens)} in · ${fmtInt(u.output_tokens)} out`)),
          h('div', null, h('h3', null, 'Cost'), h('div', { testid: 'batch-page-cost' }, log ? fmtMoney(log.spend) : running ? 'billed when the batch ends' : '—')))),
      h('div', { class: 'grid2' },
        h('div', { class: 'panel' }, h('h2', null, 'Timeline'), timeline(b)),
        h('div', { class: 'panel' }, h('h2', null, 'Details'), h('dl', { class: 'kv' },
          kv('Model', b.model || '—'), kv('Endpoint', h('code', null, b.endpoint)),
          kv('Input file', h('code', null, b.input_file_id)),
          kv('Output file', b.output_file_id ? h('code', null, b.output_file_id) : '—'),
          kv('Error file', b.error_file_id ? h('code', null, b.error_file_id) : '—'),
          kv('Completion window', b.completion_window), kv('Expires', fmtTime(b.expires_at)),
          kv('Owner', b.owner ? ownerName(b.owner.api_key) : log ? ownerName(log.api_key) : '—'),
          b.owner && b.owner.team_id ? kv('Team', b.owner.team_id) : null,
          b.bedrock && b.bedrock.job_arn ? kv('Bedrock job', h('span', null, h('code', { testid: 'batch-job' }, b.bedrock.job_arn), b.bedrock.job_status ? h('span', { class: 'muted' }, ' ' + b.bedrock.job_status) : null)) : null,
          b.bedrock && b.bedrock.output_s3_uri ? kv('Raw output', h('code', null, b.bedrock.output_s3_uri)) : null,
          Object.keys(b.metadata || {}).length ? kv('Metadata', Object.entries(b.metadata).map(([k, v]) => h('div', null, h('code', null, k), ' ', v))) : null))),
      h('div', { class: 'panel' }, h('h2', null, 'Files'), h('div', { class: 'downloads' }, dl)),
      errPanel);
    const errs = (b.errors && b.errors.data) || [];
    if (errs.length) {
      errPanel.replaceChildren(h('div', { class: 'panel', testid: 'batch-errors' }, h('h2', null, 'Errors'),
        h('ul', { class: 'errors' }, errs.map((e) => h('li', null, h('code', null, e.code), ' ', e.message, e.line ? ` (line ${e.line})` : '')))));
    }
    if (b.error_file_id && !errorsShown) {
      errorsShown = true;
      showFailedRequests(b.error_file_id, errPanel);
    }
    return running;
  }
  async function cancel(b) {
    if (!confirm(`Cancel ${b.id}? Requests already done are kept.`)) return;
    try {
      await api(`/v1/batches/${encodeURIComponent(b.id)}/cancel`, { method: 'POST' });
      toast('Cancelling ' + b.id);
      refresh();
    } catch (e) {
      toast(e.message, true);
    }
  }
  if (await refresh()) every(REFRESH_MS / 2, async () => {
    try {
      if (!(await refresh())) clearTimers();
    } catch {
      /* transient; the next tick retries */
    }
  });
}

function kv(k, v) {
  return [h('dt', null, k), h('dd', null, v)];
}

async function showFailedRequests(fileID, into) {
  try {
    const lines = await head(fileID, 20);
    const rows = lines.map((l) => {
      try {
        const x = JSON.parse(l);
        const e = x.error || (x.response && x.response.body && x.response.body.error) || {};
        return { id: x.custom_id, status: x.response ? x.response.status_code : '', msg: e.message || JSON.stringify(e) };
      } catch {
        return { id: '?', status: '', msg: l.slice(0, 200) };
      }
    });
    if (!rows.length) return;
    into.append(h('div', { class: 'panel flush', testid: 'failed-requests' },
      h('h2', { class: 'ptitle' }, `First failed requests (${rows.length}${rows.length === 20 ? '+' : ''})`),
      h('table', null,
        h('thead', null, h('tr', null, h('th', null, 'Failed request'), h('th', null, 'Status'), h('th', null, 'Error'))),
        h('tbody', null, rows.map((r) => h('tr', null, h('td', { class: 'mono' }, r.id), h('td', null, r.status), h('td', { class: 'wrap' }, r.msg)))))));
  } catch {
    /* the error file is optional */
  }
}

// ---------- files ----------

// fileBatches maps a file id to the key's batches that use it: as input, or
// as their output or error file (GET /v1/batches, newest first, at most 1000).
async function fileBatches() {
  const m = new Map();
  const add = (id, b, as) => id && (m.get(id) || m.set(id, []).get(id)).push({ b, as });
  let after = '';
  for (let i = 0; i < 10; i++) {
    const r = await api('/v1/batches?limit=100' + (after ? '&after=' + encodeURIComponent(after) : ''));
    for (const b of r.data) {
      add(b.input_file_id, b, 'input');
      add(b.output_file_id, b, 'output');
      add(b.error_file_id, b, 'errors');
    }
    if (!r.has_more || !r.data.length) break;
    after = r.data[r.data.length - 1].id;
  }
  return m;
}

async function filesPage(main) {
  const box = h('div', { class: 'panel flush' });
  main.append(pageHead('Files', h('button', { class: 'primary', onclick: newBatchDialog }, 'New batch')), box);
  async function refresh() {
    const [list, uses] = await Promise.all([api('/v1/files?limit=1000'), fileBatches().catch(() => new Map())]);
    const files = list.data;
    if (!files.length) {
      box.replaceChildren(h('div', { class: 'empty' }, 'No files yet.'));
      return;
    }
    const batchLinks = (f) => {
      const bs = uses.get(f.id) || [];
      if (!bs.length) return h('span', { class: 'muted' }, '—');
      return bs.map(({ b, as }) => h('div', null, h('a', { href: '#/batches/' + encodeURIComponent(b.id), class: 'mono' }, b.id),
        as === 'input' ? ' ' : h('span', { class: 'muted small' }, ` (${as})`), ' ', badge(b.status)));
    };
    box.replaceChildren(h('table', { testid: 'files-table' },
      h('thead', null, h('tr', null, h('th', null, 'File'), h('th', null, 'Name'), h('th', null, 'Purpose'), h('th', null, 'Batches'), h('th', { class: 'num' }, 'Size'), h('th', null, 'Created'), h('th', null, ''))),
      h('tbody', null, files.map((f) => h('tr', { testid: 'file-row', 'data-id': f.id },
        h('td', { class: 'mono' }, f.id), h('td', { class: 'wrap' }, f.filename), h('td', null, h('span', { class: 'badge' }, f.purpose)),
        h('td', { testid: 'file-batches' }, batchLinks(f)),
        h('td', { class: 'num' }, fmtBytes(f.bytes)), h('td', { title: fmtTime(f.created_at) }, fmtAge(f.created_at)),
        h('td', { class: 'num' },
          h('button', { class: 'small', onclick: () => download(f.id, f.filename || f.id + '.jsonl') }, 'Download'), ' ',
          f.purpose === 'batch' ? h('button', { class: 'small danger', onclick: () => del(f) }, 'Delete') : null))))));
  }
  async function del(f) {
    if (!confirm(`Delete ${f.filename} (${f.id})?`)) return;
    try {
      await api('/v1/files/' + encodeURIComponent(f.id), { method: 'DELETE' });
      toast('Deleted ' + f.id);
      refresh();
    } catch (e) {
      toast(e.message, true);
    }
  }
  await refresh();
}

// ---------- keys ----------

function keyForm(k = {}, teams = []) {
  const num = (v) => (v === null || v === undefined ? '' : String(v));
  return [
    h('label', null, 'Alias', h('input', { type: 'text', name: 'key_alias', value: k.key_alias || '', testid: 'key-alias' })),
    h('label', null, 'Models ', h('span', { class: 'hint' }, '(none checked: every model)'), modelChecks(k.models || [])),
    h('div', { class: 'row' },
      h('label', null, 'Max budget (USD)', h('input', { type: 'number', name: 'max_budget', min: '0', step: 'any', value: num(k.max_budget), testid: 'key-budget' })),
      h('label', null, 'Budget period', h('select', { name: 'budget_duration' },
        ['', '1d', '7d', '30d'].map((d) => h('option', { value: d }, d || 'never resets')))),
    ),
    k.token ? null : h('div', { class: 'row' },
      h('label', null, 'User', h('input', { type: 'text', name: 'user_id', placeholder: 'optional' })),
      h('label', null, 'Team', h('select', { name: 'team_id' }, h('option', { value: '' }, 'none'), teams.map((t) => h('option', { value: t.team_id }, t.team_alias || t.team_id)))),
      h('label', null, 'Expires after', h('select', { name: 'duration' }, ['', '1d', '7d', '30d', '90d'].map((d) => h('option', { value: d }, d || 'never'))))),
  ];
}

function keyBody(form, creating) {
  const b = { key_alias: form.key_alias.value.trim(), models: checked(form, 'models') };
  const mb = form.max_budget.value.trim();
  if (mb !== '') b.max_budget = Number(mb);
  if (form.budget_duration.value) b.budget_duration = form.budget_duration.value;
  if (creating) {
    if (form.user_id.value.trim()) b.user_id = form.user_id.value.trim();
    if (form.team_id.value) b.team_id = form.team_id.value;
    if (form.duration.value) b.duration = form.duration.value;
  }
  return b;
}

function showSecret(title, secret) {
  const code = h('code', { testid: 'new-secret' }, secret);
  modal(title, h('div', null,
    h('div', { class: 'note' }, 'Copy this key now: batchgate keeps only its hash and cannot show it again.'),
    h('div', { class: 'secret' }, code, h('button', { class: 'small', onclick: () => navigator.clipboard.writeText(secret).then(() => toast('Copied')) }, 'Copy')),
    h('form', { method: 'dialog', class: 'actions' }, h('button', { class: 'primary', testid: 'secret-done' }, 'Done'))));
}

async function keysPage(main) {
  const box = h('div', { class: 'panel flush' });
  main.append(pageHead('Keys', h('button', { class: 'primary', testid: 'create-key', onclick: create }, 'Create key')), box);
  let teams = [];
  async function refresh() {
    const [keys, t] = await Promise.all([allKeys(), api('/team/list').catch(() => [])]);
    teams = t;
    if (!keys.length) {
      box.replaceChildren(h('div', { class: 'empty' }, 'No virtual keys yet.'));
      return;
    }
    box.replaceChildren(h('table', { testid: 'keys-table' },
      h('thead', null, h('tr', null, ['Key', 'Models', 'User', 'Team', 'Spend / budget', 'Expires', 'Created', ''].map((x) => h('th', null, x)))),
      h('tbody', null, keys.map((k) => h('tr', { testid: 'key-row', 'data-alias': k.key_alias || '', 'data-blocked': k.blocked ? 'true' : 'false' },
        h('td', null, h('div', null, k.key_alias || h('span', { class: 'muted' }, 'no alias'), k.blocked ? h('span', { class: 'chip danger', testid: 'key-blocked' }, 'blocked') : null),
          h('div', { class: 'mono muted small' }, k.key_name)),
        h('td', { class: 'wrap' }, chips(k.models)),
        h('td', null, k.user_id ? h('a', { href: '#/users/' + encodeURIComponent(k.user_id) }, k.user_id) : '—'),
        h('td', null, k.team_id ? h('a', { href: '#/teams/' + encodeURIComponent(k.team_id) }, k.team_id) : '—'),
        h('td', null, budget(k.spend, k.max_budget), k.budget_duration ? h('div', { class: 'muted small' }, 'resets every ' + k.budget_duration) : null),
        h('td', null, k.expires ? fmtTime(k.expires) : 'never'),
        h('td', { title: fmtTime(k.created_at) }, fmtAge(k.created_at)),
        h('td', { class: 'num' },
          h('button', { class: 'small', testid: 'edit-key', onclick: () => edit(k) }, 'Edit'), ' ',
          h('button', { class: 'small', testid: 'block-key', onclick: () => block(k) }, k.blocked ? 'Unblock' : 'Block'), ' ',
          h('button', { class: 'small danger', testid: 'revoke-key', onclick: () => revoke(k) }, 'Revoke')))))));
  }
  // Block stops a key at once (401 everywhere) without deleting it; unblock restores it.
  async function block(k) {
    const route = k.blocked ? '/key/unblock' : '/key/block';
    try {
      await api(route, { method: 'POST', body: { key: k.token } });
      toast((k.blocked ? 'Unblocked ' : 'Blocked ') + keyName(k));
      refresh();
    } catch (e) {
      toast(e.message, true);
    }
  }
  function create() {
    const err = h('div', { class: 'error-text' });
    const form = h('form', null, keyForm({}, teams), err, h('div', { class: 'actions' },
      h('button', { type: 'button', onclick: () => d.close() }, 'Cancel'), h('button', { class: 'primary', type: 'submit', testid: 'key-submit' }, 'Create key')));
    const d = modal('Create a virtual key', form);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      try {
        const k = await api('/key/generate', { method: 'POST', body: keyBody(form, true) });
        d.close();
        showSecret('Key created', k.key);
        refresh();
      } catch (x) {
        err.textContent = x.message;
      }
    });
  }
  function edit(k) {
    const err = h('div', { class: 'error-text' });
    const form = h('form', null, keyForm(k), err, h('div', { class: 'actions' },
      h('button', { type: 'button', onclick: () => d.close() }, 'Cancel'), h('button', { class: 'primary', type: 'submit', testid: 'key-save' }, 'Save')));
    form.budget_duration.value = k.budget_duration || '';
    const d = modal('Edit ' + keyName(k), form);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const body = { key: k.token, ...keyBody(form, false) };
      // An emptied budget field clears the budget (max_budget: null).
      if (form.max_budget.value.trim() === '' && k.max_budget !== null) body.max_budget = null;
      try {
        await api('/key/update', { method: 'POST', body });
        d.close();
        toast('Saved ' + keyName(k));
        refresh();
      } catch (x) {
        err.textContent = x.message;
      }
    });
  }
  async function revoke(k) {
    if (!confirm(`Revoke ${keyName(k)}? Programs using it stop working at once.`)) return;
    try {
      await api('/key/delete', { method: 'POST', body: { keys: [k.token] } });
      toast('Revoked ' + keyName(k));
      refresh();
    } catch (e) {
      toast(e.message, true);
    }
  }
  await refresh();
}

async function myKeyPage(main) {
  // /v1/models answers for this key with the models it can really use: its
  // own list narrowed by its user's and its team's.
  const [ki, ml] = await Promise.all([api('/key/info'), api('/v1/models')]);
  const info = ki.info;
  state.self = info;
  const usable = ((ml && ml.data) || []).map((m) => m.id);
  const own = info.models || [];
  const narrowed = own.length !== usable.length || own.some((m) => !usable.includes(m));
  main.append(pageHead('My key'), h('div', { class: 'panel', testid: 'my-key' }, h('dl', { class: 'kv' },
    kv('Alias', info.key_alias || '—'), kv('Key', h('code', null, info.key_name)),
    kv('Models', h('div', { testid: 'my-key-models' },
      usable.length ? usable.map((m) => h('span', { class: 'chip' }, m)) : h('span', { class: 'muted' }, 'none'),
      h('div', { class: 'muted small' }, 'the models this key can use: its own list, narrowed by its user\'s and its team\'s'))),
    narrowed ? kv('Key\'s own list', chips(own)) : null,
    kv('User', info.user_id || '—'), kv('Team', info.team_id || '—'),
    kv('Spend / budget', budget(info.spend, info.max_budget)),
    kv('Budget resets', info.budget_reset_at ? fmtTime(info.budget_reset_at) : '—'),
    kv('Expires', info.expires ? fmtTime(info.expires) : 'never'), kv('Created', fmtTime(info.created_at)))));
}

// ---------- users and teams ----------

async function usersPage(main) {
  const box = h('div', { class: 'panel flush' });
  main.append(pageHead('Users', h('button', { class: 'primary', testid: 'create-user', onclick: create }, 'Create user')), box);
  let teams = [];
  async function refresh() {
    const [r, t] = await Promise.all([api('/user/list'), api('/team/list')]);
    teams = t;
    if (!r.users.length) {
      box.replaceChildren(h('div', { class: 'empty' }, 'No users yet.'));
      return;
    }
    box.replaceChildren(h('table', { testid: 'users-table' },
      h('thead', null, h('tr', null, ['User', 'Email', 'Models', 'Spend / budget', 'Created'].map((x) => h('th', null, x)))),
      h('tbody', null, r.users.map((u) => h('tr', { class: 'link', onclick: () => (location.hash = '#/users/' + encodeURIComponent(u.user_id)) },
        h('td', null, h('div', null, u.user_alias || u.user_id), u.user_alias ? h('div', { class: 'muted small mono' }, u.user_id) : null),
        h('td', null, u.user_email || '—'), h('td', { class: 'wrap' }, chips(u.models)),
        h('td', null, budget(u.spend, u.max_budget)), h('td', null, fmtAge(u.created_at)))))));
  }
  function create() {
    const err = h('div', { class: 'error-text' });
    const form = h('form', null,
      h('div', { class: 'row' },
        h('label', null, 'User id', h('input', { type: 'text', name: 'user_id', placeholder: 'generated if empty' })),
        h('label', null, 'Alias', h('input', { type: 'text', name: 'user_alias' }))),
      h('label', null, 'Email', h('input', { type: 'email', name: 'user_email' })),
      h('label', null, 'Models ', h('span', { class: 'hint' }, '(none checked: every model)'), modelChecks()),
      h('div', { class: 'row' },
        h('label', null, 'Max budget (USD)', h('input', { type: 'number', name: 'max_budget', min: '0', step: 'any' })),
        h('label', null, 'Team', h('select', { name: 'team' }, h('option', { value: '' }, 'none'), teams.map((t) => h('option', { value: t.team_id }, t.team_alias || t.team_id))))),
      h('label', { class: 'checks' }, h('input', { type: 'checkbox', name: 'auto_create_key', checked: true }), 'Create a key for this user'),
      err, h('div', { class: 'actions' }, h('button', { type: 'button', onclick: () => d.close() }, 'Cancel'), h('button', { class: 'primary', type: 'submit' }, 'Create user')));
    const d = modal('Create a user', form);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const b = { models: checked(form, 'models'), auto_create_key: form.auto_create_key.checked };
      for (const f of ['user_id', 'user_alias', 'user_email']) if (form[f].value.trim()) b[f] = form[f].value.trim();
      if (form.max_budget.value.trim()) b.max_budget = Number(form.max_budget.value);
      if (form.team.value) b.teams = [form.team.value];
      try {
        const u = await api('/user/new', { method: 'POST', body: b });
        d.close();
        if (u.key) showSecret('User ' + u.user_id + ' created', u.key);
        else toast('User ' + u.user_id + ' created');
        refresh();
      } catch (x) {
        err.textContent = x.message;
      }
    });
  }
  await refresh();
}

async function userPage(main, id) {
  const r = await api('/user/info?user_id=' + encodeURIComponent(id));
  const u = r.user_info;
  await allKeys().catch(() => {});
  main.append(pageHead(u.user_alias || u.user_id, h('button', { testid: 'edit-user', onclick: () => editOwner({
    route: '/user/update', id: { user_id: u.user_id }, alias: 'user_alias', current: u, title: u.user_alias || u.user_id,
    saved: () => { main.replaceChildren(); userPage(main, id); } }) }, 'Edit user')),
    h('div', { class: 'grid2' },
      h('div', { class: 'panel' }, h('h2', null, 'User'), h('dl', { class: 'kv' },
        kv('User id', h('code', null, u.user_id)), kv('Email', u.user_email || '—'), kv('Models', chips(u.models)),
        kv('Spend / budget', budget(u.spend, u.max_budget)), kv('Teams', r.teams.length ? r.teams.map((t) => h('a', { href: '#/teams/' + encodeURIComponent(t.team_id), class: 'chip' }, t.team_id)) : '—'),
        kv('Created', fmtTime(u.created_at)))),
      keysPanel(r.keys)));
  main.firstChild.prepend(h('a', { href: '#/users', class: 'crumb' }, 'Users /'));
}

// editOwner edits a team's or a user's alias, models and budget through
// /team/update or /user/update (an emptied budget clears it).
function editOwner({ route, id, alias, current, title, saved }) {
  const err = h('div', { class: 'error-text' });
  const form = h('form', null,
    h('label', null, 'Alias', h('input', { type: 'text', name: 'alias', value: current[alias] || '' })),
    h('label', null, 'Models ', h('span', { class: 'hint' }, '(none checked: every model)'), modelChecks(current.models || [])),
    h('div', { class: 'row' },
      h('label', null, 'Max budget (USD)', h('input', { type: 'number', name: 'max_budget', min: '0', step: 'any', testid: 'owner-budget', value: current.max_budget ?? '' })),
      h('label', null, 'Budget period', h('select', { name: 'budget_duration' }, ['', '1d', '7d', '30d'].map((d) => h('option', { value: d }, d || 'never resets'))))),
    err, h('div', { class: 'actions' }, h('button', { type: 'button', onclick: () => d.close() }, 'Cancel'),
      h('button', { class: 'primary', type: 'submit', testid: 'owner-save' }, 'Save')));
  form.budget_duration.value = current.budget_duration || '';
  const d = modal('Edit ' + title, form);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const mb = form.max_budget.value.trim();
    const b = { ...id, [alias]: form.alias.value.trim(), models: checked(form, 'models'),
      max_budget: mb === '' ? null : Number(mb), budget_duration: form.budget_duration.value };
    try {
      await api(route, { method: 'POST', body: b });
      d.close();
      toast('Saved ' + title);
      saved();
    } catch (x) {
      err.textContent = x.message;
    }
  });
}

function keysPanel(keys) {
  return h('div', { class: 'panel flush' }, h('h2', { class: 'ptitle' }, `Keys (${keys.length})`),
    keys.length ? h('table', null, h('thead', null, h('tr', null, ['Key', 'Models', 'Spend / budget'].map((x) => h('th', null, x)))), h('tbody', null, keys.map((k) => h('tr', null,
      h('td', null, keyName(k)), h('td', { class: 'wrap' }, chips(k.models)), h('td', null, budget(k.spend, k.max_budget)))))) : h('div', { class: 'empty' }, 'No keys.'));
}

async function teamsPage(main) {
  const box = h('div', { class: 'panel flush' });
  main.append(pageHead('Teams', h('button', { class: 'primary', testid: 'create-team', onclick: create }, 'Create team')), box);
  async function refresh() {
    const teams = await api('/team/list');
    if (!teams.length) {
      box.replaceChildren(h('div', { class: 'empty' }, 'No teams yet.'));
      return;
    }
    box.replaceChildren(h('table', { testid: 'teams-table' },
      h('thead', null, h('tr', null, ['Team', 'Members', 'Models', 'Spend / budget', 'Created'].map((x) => h('th', null, x)))),
      h('tbody', null, teams.map((t) => h('tr', { class: 'link', onclick: () => (location.hash = '#/teams/' + encodeURIComponent(t.team_id)) },
        h('td', null, h('div', null, t.team_alias || t.team_id), t.team_alias ? h('div', { class: 'muted small mono' }, t.team_id) : null),
        h('td', null, fmtInt(t.members_with_roles.length)), h('td', { class: 'wrap' }, chips(t.models)),
        h('td', null, budget(t.spend, t.max_budget)), h('td', null, fmtAge(t.created_at)))))));
  }
  function create() {
    const err = h('div', { class: 'error-text' });
    const form = h('form', null,
      h('div', { class: 'row' },
        h('label', null, 'Team id', h('input', { type: 'text', name: 'team_id', placeholder: 'generated if empty' })),
        h('label', null, 'Alias', h('input', { type: 'text', name: 'team_alias' }))),
      h('label', null, 'Models ', h('span', { class: 'hint' }, '(none checked: every model)'), modelChecks()),
      h('div', { class: 'row' },
        h('label', null, 'Max budget (USD)', h('input', { type: 'number', name: 'max_budget', min: '0', step: 'any' })),
        h('label', null, 'Budget period', h('select', { name: 'budget_duration' }, ['', '1d', '7d', '30d'].map((d) => h('option', { value: d }, d || 'never resets'))))),
      err, h('div', { class: 'actions' }, h('button', { type: 'button', onclick: () => d.close() }, 'Cancel'), h('button', { class: 'primary', type: 'submit' }, 'Create team')));
    const d = modal('Create a team', form);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const b = { models: checked(form, 'models') };
      for (const f of ['team_id', 'team_alias', 'budget_duration']) if (form[f].value.trim()) b[f] = form[f].value.trim();
      if (form.max_budget.value.trim()) b.max_budget = Number(form.max_budget.value);
      try {
        const t = await api('/team/new', { method: 'POST', body: b });
        d.close();
        toast('Team ' + t.team_id + ' created');
        refresh();
      } catch (x) {
        err.textContent = x.message;
      }
    });
  }
  await refresh();
}

async function teamPage(main, id) {
  const hash = state.route;
  await allKeys().catch(() => {});
  async function render() {
    const r = await api('/team/info?team_id=' + encodeURIComponent(id));
    if (stale(hash)) return;
    const t = r.team_info;
    const userIn = h('input', { type: 'text', name: 'user_id', placeholder: 'user id', required: true });
    const role = h('select', { name: 'role' }, h('option', { value: 'user' }, 'user'), h('option', { value: 'admin' }, 'admin'));
    const add = h('form', { class: 'toolbar' }, userIn, role, h('button', { type: 'submit' }, 'Add member'));
    add.addEventListener('submit', async (e) => {
      e.preventDefault();
      try {
        await api('/team/member_add', { method: 'POST', body: { team_id: id, member: { user_id: userIn.value.trim(), role: role.value } } });
        toast('Added ' + userIn.value.trim());
        main.replaceChildren();
        render();
      } catch (x) {
        toast(x.message, true);
      }
    });
    main.append(pageHead(t.team_alias || t.team_id, h('button', { testid: 'edit-team', onclick: () => editOwner({
      route: '/team/update', id: { team_id: t.team_id }, alias: 'team_alias', current: t, title: t.team_alias || t.team_id,
      saved: () => { main.replaceChildren(); render(); } }) }, 'Edit team')),
      h('div', { class: 'grid2' },
        h('div', { class: 'panel' }, h('h2', null, 'Team'), h('dl', { class: 'kv' },
          kv('Team id', h('code', null, t.team_id)), kv('Models', chips(t.models)),
          kv('Spend / budget', budget(t.spend, t.max_budget)), kv('Budget period', t.budget_duration || '—'),
          kv('Created', fmtTime(t.created_at)))),
        h('div', { class: 'panel' }, h('h2', null, `Members (${t.members_with_roles.length})`),
          h('ul', null, t.members_with_roles.map((m) => h('li', null, h('a', { href: '#/users/' + encodeURIComponent(m.user_id) }, m.user_id), ' ', h('span', { class: 'muted' }, m.role)))),
          add)),
      keysPanel(r.keys));
    main.firstChild.prepend(h('a', { href: '#/teams', class: 'crumb' }, 'Teams /'));
  }
  await render();
}

// ---------- spend ----------

async function spendPage(main) {
  const hash = state.route;
  let by = 'model', range = 'all';
  if (state.admin) await allKeys().catch(() => {});
  const logs = await api('/spend/logs');
  if (stale(hash)) return;
  const content = h('div');
  const seg = (opts, cur, set, testid) => h('div', { class: 'seg', testid }, opts.map(([v, t]) =>
    h('button', { class: v === cur ? 'on' : '', 'data-value': v, onclick: () => { set(v); draw(); } }, t)));
  const controls = h('div', { class: 'toolbar' });
  main.append(pageHead('Spend', controls), content);

  const groupOf = {
    model: (l) => l.model_group || l.model,
    key: (l) => ownerName(l.api_key),
    team: (l) => l.team_id || 'no team',
    user: (l) => l.user || 'no user',
  };

  function draw() {
    controls.replaceChildren(
      seg([['model', 'By model'], ['key', 'By key'], ['team', 'By team'], ['user', 'By user']], by, (v) => (by = v), 'group-by'),
      seg([['1d', '24h'], ['7d', '7 days'], ['30d', '30 days'], ['all', 'All']], range, (v) => (range = v), 'range'));
    const now = Date.now();
    const since = { '1d': now - 86400e3, '7d': now - 7 * 86400e3, '30d': now - 30 * 86400e3, all: 0 }[range];
    const rows = logs.filter((l) => toMs(l.startTime) >= since);
    const spend = rows.reduce((a, l) => a + l.spend, 0);
    const tin = rows.reduce((a, l) => a + l.prompt_tokens, 0);
    const tout = rows.reduce((a, l) => a + l.completion_tokens, 0);
    const cards = h('div', { class: 'cards' },
      card('Spend', fmtMoney(spend), `${rows.length} batches billed`, 'spend-total'),
      card('Input tokens', fmtTokens(tin), fmtInt(tin)),
      card('Output tokens', fmtTokens(tout), fmtInt(tout)),
      card('Average per batch', fmtMoney(rows.length ? spend / rows.length : 0)));

    // Groups, largest spend first; beyond seven, the rest is "other".
    const totals = new Map();
    for (const l of rows) {
      const g = groupOf[by](l);
      const t = totals.get(g) || { spend: 0, tokens: 0 };
      t.spend += l.spend;
      t.tokens += l.total_tokens;
      totals.set(g, t);
    }
    let groups = [...totals.keys()].sort((a, b) => totals.get(b).spend - totals.get(a).spend || totals.get(b).tokens - totals.get(a).tokens);
    const top = new Set(groups.slice(0, 7));
    const gname = (l) => (top.has(groupOf[by](l)) ? groupOf[by](l) : 'other');
    if (groups.length > 7) groups = [...groups.slice(0, 7), 'other'];
    const color = new Map(groups.map((g, i) => [g, PALETTE[i % PALETTE.length]]));

    const from = rows.length ? Math.min(...rows.map((l) => toMs(l.startTime))) : now;
    const bk = bucketing(range === 'all' ? from : since, now);
    const labelOf = (t) => {
      const d = new Date(t);
      return bk.size >= 86400e3 ? d.toLocaleDateString(undefined, { month: 'short', day: 'numeric' }) : d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
    };
    const buckets = Array.from({ length: bk.n }, (_, i) => labelOf(bk.start + i * bk.size));
    const series = (metric) => groups.map((g) => {
      const values = new Array(bk.n).fill(0);
      for (const l of rows) {
        if (gname(l) !== g) continue;
        const i = Math.floor((toMs(l.startTime) - bk.start) / bk.size);
        if (i >= 0 && i < bk.n) values[i] += metric(l);
      }
      return { name: g, color: color.get(g), values };
    });
    const agg = (metric) => groups.map((g) => ({ name: g, color: color.get(g), value: rows.filter((l) => gname(l) === g).reduce((a, l) => a + metric(l), 0) }));
    const bucketText = fmtDur(bk.size).replace(' 0s', '').replace(' 0m', '').replace(' 0h', '');

    content.replaceChildren(cards,
      h('div', { class: 'grid2' },
        h('div', { class: 'panel' }, h('h2', null, `Spend over time `, h('span', { class: 'muted small' }, `per ${bucketText}`)),
          stackedBars({ buckets, series: series((l) => l.spend), format: fmtMoney, testid: 'chart-spend-time', title: 'Spend over time' })),
        h('div', { class: 'panel' }, h('h2', null, `Tokens over time `, h('span', { class: 'muted small' }, `per ${bucketText}`)),
          stackedBars({ buckets, series: series((l) => l.total_tokens), format: fmtTokens, testid: 'chart-tokens-time', title: 'Tokens over time' }))),
      h('div', { class: 'grid2' },
        h('div', { class: 'panel' }, h('h2', null, 'Spend by ' + by), hbars(agg((l) => l.spend), fmtMoney, 'chart-spend-group')),
        h('div', { class: 'panel' }, h('h2', null, 'Tokens by ' + by), hbars(agg((l) => l.total_tokens), fmtTokens, 'chart-tokens-group'))),
      h('div', { class: 'panel flush', testid: 'spend-logs' },
        rows.length ? h('table', null,
          h('thead', null, h('tr', null, ['Batch', 'Time', 'Model', 'Key', 'Team', 'User'].map((x) => h('th', null, x)), h('th', { class: 'num' }, 'Tokens in / out'), h('th', { class: 'num' }, 'Spend'))),
          h('tbody', null, rows.slice().sort((a, b) => toMs(b.startTime) - toMs(a.startTime)).slice(0, 200).map((l) => h('tr', null,
            h('td', null, h('a', { href: '#/batches/' + l.request_id, class: 'mono' }, l.request_id)),
            h('td', null, fmtTime(l.startTime)), h('td', null, l.model_group), h('td', null, ownerName(l.api_key)),
            h('td', null, l.team_id || '—'), h('td', null, l.user || '—'),
            h('td', { class: 'num' }, `${fmtInt(l.prompt_tokens)} / ${fmtInt(l.completion_tokens)}`), h('td', { class: 'num' }, fmtMoney(l.spend)))))) :
          h('div', { class: 'empty' }, 'Nothing billed in this period.')));
  }
  draw();
}

// ---------- start ----------

window.addEventListener('hashchange', route);

async function start() {
  if (!state.key) return renderLogin();
  try {
    await signIn(state.key);
    renderShell();
  } catch (e) {
    renderLogin(e.status === 401 ? 'Your key was refused; sign in again.' : e.message);
  }
}
start();
