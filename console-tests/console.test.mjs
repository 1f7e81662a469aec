// Browser test of the batchgate web console, in headless Debian chromium
// driven by playwright-core. e2e/console_test.go starts `batchgate serve`
// (embedded default: in-process S3 and Bedrock emulator) and runs this with
//
//   BATCHGATE_URL          the gateway, e.g. http://127.0.0.1:4000
//   BATCHGATE_MASTER_KEY   its master key
//   SCREENSHOT_DIR         where to save screenshots of the main pages
//   CHROMIUM               the browser (default /usr/bin/chromium)
//
// It signs in, submits a batch in the UI and watches it progress to
// completed, downloads the results, creates, edits and revokes a key, checks
// the spend charts, checks what a virtual key may see, and checks every page
// at a phone's width. Any failure exits 1.

import { chromium } from 'playwright-core';
import { readFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import assert from 'node:assert/strict';

const base = process.env.BATCHGATE_URL;
const master = process.env.BATCHGATE_MASTER_KEY;
const shots = process.env.SCREENSHOT_DIR;
const MODEL = 'bedrock-batch-claude';
assert.ok(base && master, 'BATCHGATE_URL and BATCHGATE_MASTER_KEY are required');

const log = (...a) => console.log(new Date().toISOString().slice(11, 23), ...a);

// api calls the gateway directly (set-up and checks of what the UI did).
async function api(key, path, { method = 'GET', body, form } = {}) {
  const headers = { Authorization: 'Bearer ' + key };
  let payload = form;
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  const r = await fetch(base + path, { method, headers, body: payload });
  const text = await r.text();
  let data = text;
  try {
    data = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: r.status, data };
}

function jsonl(n, prefix) {
  let s = '';
  for (let i = 1; i <= n; i++) {
    s += JSON.stringify({
      custom_id: `${prefix}-${i}`, method: 'POST', url: '/v1/chat/completions',
      body: { model: MODEL, max_tokens: 200, messages: [{ role: 'user', content: `Summarise item ${i} in one sentence.` }] },
    }) + '\n';
  }
  return s;
}

async function submitViaAPI(key, n, prefix, description) {
  const form = new FormData();
  form.append('purpose', 'batch');
  form.append('target_model_names', MODEL);
  form.append('file', new Blob([jsonl(n, prefix)]), `${prefix}.jsonl`);
  const f = await api(key, '/v1/files', { method: 'POST', form });
  assert.equal(f.status, 200, `upload: ${JSON.stringify(f.data)}`);
  const b = await api(key, '/v1/batches', { method: 'POST', body: { input_file_id: f.data.id, endpoint: '/v1/chat/completions', completion_window: '24h', metadata: { description } } });
  assert.equal(b.status, 200, `create batch: ${JSON.stringify(b.data)}`);
  return b.data;
}

async function until(what, fn, timeout = 60000) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      if (await fn()) return;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? ': ' + last.message : ''}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

async function shot(page, name) {
  if (!shots) return;
  await mkdir(shots, { recursive: true });
  await page.waitForTimeout(250); // let bars finish their transition
  await page.evaluate(() => document.querySelectorAll('.toast').forEach((t) => t.remove()));
  await page.screenshot({ path: join(shots, name + '.png') });
  log('screenshot', name);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const errors = [];
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true, deviceScaleFactor: 1 });
  const page = await context.newPage();
  page.on('pageerror', (e) => errors.push('page error: ' + e.message));
  page.on('console', (m) => m.type() === 'error' && !/Failed to load resource/.test(m.text()) && errors.push('console: ' + m.text()));
  page.on('dialog', (d) => d.accept());

  // Set-up through the API: a team and a key of that team, with a batch.
  assert.equal((await api(master, '/team/new', { method: 'POST', body: { team_id: 'research', team_alias: 'Research', max_budget: 50 } })).status, 200);
  const tk = await api(master, '/key/generate', { method: 'POST', body: { key_alias: 'research-pipeline', team_id: 'research', models: [MODEL], max_budget: 20 } });
  assert.equal(tk.status, 200);
  const teamKey = tk.data.key;
  const apiBatch = await submitViaAPI(teamKey, 150, 'nightly', 'nightly evaluation');
  log('api batch', apiBatch.id);

  // 1. Sign in: the page says where the master key is; a wrong key is refused, the master key is accepted.
  await page.goto(base + '/ui');
  const help = await page.getByTestId('login-help').textContent();
  for (const where of ['batchgate serve', 'master_key', '--data', 'BATCHGATE_DATA', 'general_settings.master_key', 'LITELLM_MASTER_KEY']) {
    assert.ok(help.includes(where), `the sign-in page does not say where the master key is (${where}): ${help}`);
  }
  await page.getByTestId('login-key').fill('sk-not-a-key');
  await page.getByTestId('login-submit').click();
  await until('the wrong key to be refused', async () => (await page.getByTestId('login-error').textContent()).includes('not valid'), 10000);
  await shot(page, 'sign-in');
  await page.getByTestId('login-key').fill(master);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('nav-keys').waitFor();
  assert.equal(new URL(page.url()).hash, '#/batches');
  log('signed in as admin');

  // 2a. A file the gateway refuses: the dialog shows the failure and the
  // problems, not a full progress bar as if the upload had worked.
  await page.getByTestId('new-batch').click();
  const bad = 'not json\n' + jsonl(2, 'ok') + '{"custom_id": "no-body", "method": "POST", "url": "/v1/chat/completions"}\nalso not json\n';
  await page.getByTestId('batch-file').setInputFiles({ name: 'bad.jsonl', mimeType: 'application/jsonl', buffer: Buffer.from(bad) });
  await page.getByTestId('batch-submit').click();
  await until('the upload to be refused', async () => (await page.getByTestId('new-batch-error').textContent()).includes('line 1'), 10000);
  const refused = await page.evaluate(() => {
    const d = document.querySelector('dialog[open]');
    const bar = d.querySelector('.bar');
    const shown = bar && bar.getClientRects().length > 0 && getComputedStyle(bar).visibility !== 'hidden';
    // The width set, not the one drawn: the bar's fill is animated.
    const fill = shown ? parseFloat(bar.firstChild.style.width || '0') / 100 : 0;
    return { shown, fill, text: d.textContent };
  });
  assert.ok(!refused.shown || refused.fill < 0.5, `the refused upload shows a ${Math.round(100 * refused.fill)}% progress bar`);
  assert.match(refused.text, /refused/i, 'the dialog does not say the upload was refused');
  assert.ok(!/error\.data/.test(refused.text), 'the dialog sends the user to error.data: ' + refused.text);
  for (const n of [1, 4, 5]) assert.match(refused.text, new RegExp(`line ${n}\\b`), `the dialog does not list line ${n}: ${refused.text}`);
  await shot(page, 'upload-refused');
  await page.locator('dialog[open] button', { hasText: 'Cancel' }).click();
  log('refused upload shown');

  // 2. Submit a batch in the UI and watch it progress to completed.
  await page.getByTestId('new-batch').click();
  await page.getByTestId('batch-file').setInputFiles({ name: 'questions.jsonl', mimeType: 'application/jsonl', buffer: Buffer.from(jsonl(120, 'q')) });
  await page.getByTestId('batch-description').fill('product questions');
  await page.getByTestId('batch-submit').click();
  await page.waitForURL(/#\/batches\/batch_/, { timeout: 30000 });
  const batchID = decodeURIComponent(new URL(page.url()).hash.split('/')[2]);
  log('ui batch', batchID);
  const seen = new Set();
  const progressSeen = new Set();
  await until('the batch to complete in the UI', async () => {
    const st = (await page.getByTestId('batch-status').textContent()).trim();
    seen.add(st);
    progressSeen.add((await page.getByTestId('counts').textContent()).trim());
    if (st === 'in progress' && !seen.has('shot')) {
      seen.add('shot');
      await shot(page, 'batch-running');
    }
    return st === 'completed';
  }, 90000);
  log('statuses seen', [...seen].join(', '), '| counts seen', [...progressSeen].join(' → '));
  assert.ok(seen.has('in progress') || seen.has('validating') || seen.has('finalizing'), 'the page never showed the batch before it completed: ' + [...seen]);
  assert.ok(progressSeen.size >= 2, 'the request counts never changed on the page: ' + [...progressSeen]);
  const counts = await page.getByTestId('counts').textContent();
  assert.match(counts, /120 completed · 0 failed · 120 total/);
  for (const step of ['created_at', 'in_progress_at', 'finalizing_at', 'completed_at']) {
    const cls = await page.locator(`[data-testid=timeline] li[data-step=${step}]`).getAttribute('class');
    assert.equal(cls, 'reached', `timeline step ${step} is ${cls}`);
  }
  await until('the cost to show', async () => /^\$/.test((await page.getByTestId('batch-page-cost').textContent()).trim()), 15000);
  assert.match((await page.getByTestId('batch-job').textContent()).trim(), /:model-invocation-job\//, 'the batch page names its Bedrock job');
  await shot(page, 'batch');

  // 3. Download the results (fetched with the key and saved as a blob).
  const [dl] = await Promise.all([page.waitForEvent('download'), page.getByTestId('download-output').click()]);
  assert.equal(dl.suggestedFilename(), `${batchID}_output.jsonl`);
  const lines = (await readFile(await dl.path(), 'utf8')).split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
  assert.equal(lines.length, 120, 'output lines');
  const ids = new Set(lines.map((l) => l.custom_id));
  assert.ok(ids.has('q-1') && ids.has('q-120') && ids.size === 120, 'custom ids');
  for (const l of lines) assert.equal(l.response.status_code, 200, JSON.stringify(l).slice(0, 300));
  assert.ok(lines[0].response.body.choices[0].message.content.length > 0, 'an answer');
  log('downloaded', lines.length, 'results');

  // 4. The live list shows both batches, completed, with their progress and cost.
  await until('the API batch to complete', async () => (await api(master, '/v1/batches/' + apiBatch.id)).data.status === 'completed', 60000);
  const live = await submitViaAPI(teamKey, 200, 'backfill', 'embeddings backfill');
  await page.getByTestId('nav-batches').click();
  await page.getByTestId('batches-table').waitFor();
  await until('the list to show three batches and the new one running', async () => {
    const rows = await page.getByTestId('batch-row').count();
    const st = (await page.locator(`[data-testid=batch-row][data-id="${live.id}"] [data-testid=status]`).textContent()).trim();
    return rows === 3 && st !== 'completed';
  }, 20000);
  await until('the list to show the UI batch as completed with its cost', async () => {
    const row = page.locator(`[data-testid=batch-row][data-id="${batchID}"]`);
    return (await row.getByTestId('status').textContent()).trim() === 'completed' &&
      /^\$/.test((await row.getByTestId('batch-cost').textContent()).trim()) &&
      (await row.getByTestId('progress').textContent()).includes('120 / 120');
  }, 20000);
  // Auto-refresh: the running batch moves without a reload.
  const before = await page.locator(`[data-testid=batch-row][data-id="${live.id}"] [data-testid=progress]`).textContent();
  await shot(page, 'batches');
  await until('the running batch to complete in the list without a reload', async () =>
    (await page.locator(`[data-testid=batch-row][data-id="${live.id}"] [data-testid=status]`).textContent()).trim() === 'completed', 60000);
  const after = await page.locator(`[data-testid=batch-row][data-id="${live.id}"] [data-testid=progress]`).textContent();
  assert.notEqual(before, after, 'the list did not refresh');
  log('list refreshed live');

  // Files: the uploaded input files are listed, each linking to the batches that use it.
  await page.getByTestId('nav-files').click();
  await until('the files list', async () => (await page.getByTestId('files-table').textContent()).includes('questions.jsonl'), 10000);
  const uiBatch = (await api(master, '/v1/batches/' + batchID)).data;
  const inputRow = page.locator(`[data-testid=file-row][data-id="${uiBatch.input_file_id}"]`);
  await until('the input file to link to its batch', async () => (await inputRow.locator(`a[href="#/batches/${batchID}"]`).count()) === 1, 10000);
  const outputRow = page.locator(`[data-testid=file-row][data-id="${uiBatch.output_file_id}"]`);
  if (await outputRow.count()) assert.equal(await outputRow.locator(`a[href="#/batches/${batchID}"]`).count(), 1, 'the output file does not link to its batch');
  await shot(page, 'files');
  await inputRow.locator(`a[href="#/batches/${batchID}"]`).click();
  await until('the batch page from the file link', async () => (await page.getByTestId('batch-status').count()) === 1, 10000);
  assert.equal(decodeURIComponent(new URL(page.url()).hash), '#/batches/' + batchID);
  log('files link to their batches');

  // 5. Keys: create one in the UI, edit its budget, clear it, block and unblock it, then revoke it.
  await page.getByTestId('nav-keys').click();
  await page.getByTestId('keys-table').waitFor();
  await page.getByTestId('create-key').click();
  await page.getByTestId('key-alias').fill('analytics-team');
  await page.locator('dialog input[name=models][value="' + MODEL + '"]').check();
  await page.getByTestId('key-budget').fill('25');
  await page.getByTestId('key-submit').click();
  const secret = (await page.getByTestId('new-secret').textContent()).trim();
  assert.match(secret, /^sk-/);
  await page.getByTestId('secret-done').click();
  const info = await api(master, '/key/info?key=' + encodeURIComponent(secret));
  assert.equal(info.status, 200);
  assert.equal(info.data.info.key_alias, 'analytics-team');
  assert.deepEqual(info.data.info.models, [MODEL]);
  assert.equal(info.data.info.max_budget, 25);
  const row = page.locator('[data-testid=key-row][data-alias="analytics-team"]');
  await row.waitFor();
  log('key created in the UI');
  await row.getByTestId('edit-key').click();
  await page.getByTestId('key-budget').fill('40');
  await page.getByTestId('key-save').click();
  await until('the budget update', async () => (await api(master, '/key/info?key=' + encodeURIComponent(secret))).data.info.max_budget === 40, 10000);
  await until('the row to show the new budget', async () => (await row.textContent()).includes('$40'), 10000);
  await shot(page, 'keys');
  // An emptied budget field clears the budget.
  await row.getByTestId('edit-key').click();
  await page.getByTestId('key-budget').fill('');
  await page.getByTestId('key-save').click();
  await until('the budget to be cleared', async () => (await api(master, '/key/info?key=' + encodeURIComponent(secret))).data.info.max_budget === null, 10000);
  await until('the row to show no budget', async () => !(await row.textContent()).includes('$40'), 10000);
  const vk = await api(secret, '/v1/models');
  assert.equal(vk.status, 200, 'the new key works');
  // Block stops the key without deleting it; unblock restores it.
  await row.getByTestId('block-key').click();
  await until('the key to be blocked', async () => (await api(secret, '/v1/models')).status === 401, 10000);
  await until('the row to show it blocked', async () => (await row.getAttribute('data-blocked')) === 'true', 10000);
  await row.getByTestId('block-key').click();
  await until('the key to be unblocked', async () => (await api(secret, '/v1/models')).status === 200, 10000);
  await row.getByTestId('revoke-key').click();
  await until('the key to be revoked', async () => (await api(secret, '/v1/models')).status === 401, 10000);
  await until('the row to go', async () => (await page.locator('[data-testid=key-row][data-alias="analytics-team"]').count()) === 0, 10000);
  log('key edited and revoked in the UI');

  // Users and teams: create a user in the research team, see it on the team page.
  await page.getByTestId('nav-users').click();
  await page.getByTestId('create-user').click();
  await page.locator('dialog input[name=user_id]').fill('ann');
  await page.locator('dialog input[name=user_alias]').fill('Ann Lee');
  await page.locator('dialog select[name=team]').selectOption('research');
  await page.locator('dialog button[type=submit]').click();
  assert.match((await page.getByTestId('new-secret').textContent()).trim(), /^sk-/);
  await page.getByTestId('secret-done').click();
  await until('the user row', async () => (await page.getByTestId('users-table').textContent()).includes('Ann Lee'), 10000);
  const ann = await api(master, '/user/info?user_id=ann');
  assert.equal(ann.status, 200);
  assert.deepEqual(ann.data.teams.map((t) => t.team_id), ['research']); // team objects, as LiteLLM's /user/info
  await page.getByTestId('nav-teams').click();
  await until('the team row', async () => (await page.getByTestId('teams-table').textContent()).includes('Research'), 10000);
  await page.getByTestId('teams-table').locator('tr', { hasText: 'Research' }).click();
  await until('the team page', async () => (await page.locator('main').textContent()).includes('ann'), 10000);
  await shot(page, 'team');
  // Edit the team's budget (50 → 75) through /team/update.
  await page.getByTestId('edit-team').click();
  await page.getByTestId('owner-budget').fill('75');
  await page.getByTestId('owner-save').click();
  await until('the team budget update', async () => (await api(master, '/team/info?team_id=research')).data.team_info.max_budget === 75, 10000);
  // And a member's budget, from the user page (/user/update).
  await page.locator('main a', { hasText: 'ann' }).first().click();
  await page.getByTestId('edit-user').click();
  await page.getByTestId('owner-budget').fill('12');
  await page.getByTestId('owner-save').click();
  await until('the user budget update', async () => (await api(master, '/user/info?user_id=ann')).data.user_info.max_budget === 12, 10000);
  log('user and team pages checked, team and user edited');

  // 6. Spend charts: bars over time and by group, for models, keys and teams.
  await page.getByTestId('nav-spend').click();
  await page.getByTestId('chart-spend-time').waitFor();
  const total = await page.getByTestId('spend-total').textContent();
  assert.match(total, /\$[0-9.]+/);
  assert.match(total, /3 batches billed/);
  for (const id of ['chart-spend-time', 'chart-tokens-time', 'chart-spend-group', 'chart-tokens-group']) {
    const bars = await page.locator(`[data-testid=${id}] svg rect.seg`).count();
    assert.ok(bars >= 1, `${id} has no bars`);
  }
  await page.locator('[data-testid=group-by] button[data-value=team]').click();
  await until('the team chart', async () => (await page.getByTestId('chart-spend-group').textContent()).includes('research'), 5000);
  assert.ok((await page.getByTestId('chart-spend-group').textContent()).includes('no team'), 'the master key batch has no team');
  await page.locator('[data-testid=group-by] button[data-value=key]').click();
  await until('the key chart', async () => (await page.getByTestId('chart-spend-group').textContent()).includes('research-pipeline'), 5000);
  // The master key's logs name its SHA-256 (as LiteLLM's): shown as the master key.
  assert.ok((await page.getByTestId('chart-spend-group').textContent()).includes('master key'), 'the master key batch is the master key\'s');
  await shot(page, 'spend');
  log('spend charts drawn');

  // 7. A virtual key sees only its own batches and no admin pages.
  await page.getByTestId('sign-out').click();
  await page.getByTestId('login-key').fill(teamKey);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('nav-key').waitFor();
  assert.equal(await page.getByTestId('nav-keys').count(), 0, 'a virtual key sees the Keys page');
  await page.getByTestId('nav-batches').click();
  await page.getByTestId('batches-table').waitFor();
  await until('only the team key batches', async () => (await page.getByTestId('batch-row').count()) === 2, 10000);
  assert.equal(await page.locator(`[data-testid=batch-row][data-id="${batchID}"]`).count(), 0, 'a virtual key sees the master key batch');
  // Admin pages, reached by address, say they need the master key (not a broken page or a raw error).
  for (const [hash, name] of [['#/keys', 'Keys'], ['#/users', 'Users'], ['#/users/ann', 'Users'], ['#/teams/research', 'Teams']]) {
    await page.goto(base + '/ui/' + hash);
    const box = page.getByTestId('needs-master');
    await box.waitFor({ timeout: 10000 });
    const text = await page.locator('main').textContent();
    assert.ok(text.includes('needs the master key') && text.includes(name), `${hash}: ${text}`);
    assert.ok(!/not found|forbidden|\{"error"/i.test(text), `${hash} reads like an error: ${text}`);
    assert.equal(await box.getByTestId('sign-in-master').count(), 1, `${hash} offers no way to sign in with the master key`);
  }
  await shot(page, 'needs-master');
  await page.getByTestId('nav-key').click();
  await until('my key page', async () => (await page.getByTestId('my-key').textContent()).includes('research-pipeline'), 10000);
  await shot(page, 'my-key');

  // "My key" shows the models the key can really use: a key with no model
  // list of its own in a team limited to one model can use that model only.
  assert.equal((await api(master, '/team/new', { method: 'POST', body: { team_id: 'narrow', models: [MODEL] } })).status, 200);
  const nk = await api(master, '/key/generate', { method: 'POST', body: { key_alias: 'narrow-key', team_id: 'narrow' } });
  assert.equal(nk.status, 200);
  const usable = (await api(nk.data.key, '/v1/models')).data.data.map((m) => m.id);
  assert.deepEqual(usable, [MODEL]);
  await page.getByTestId('sign-out').click();
  await page.getByTestId('login-key').fill(nk.data.key);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('nav-key').click();
  await until('my key page', async () => (await page.getByTestId('my-key').textContent()).includes('narrow-key'), 10000);
  const models = await page.getByTestId('my-key-models').textContent();
  assert.ok(models.includes(MODEL) && !models.includes('all models'), `My key shows ${models}, the key can use ${usable}`);
  log('virtual key view checked');

  // From an admin page, a virtual key signs in again with the master key and lands on that page.
  await page.goto(base + '/ui/#/teams');
  await page.getByTestId('sign-in-master').click();
  await page.getByTestId('login-key').fill(master);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('teams-table').waitFor({ timeout: 10000 });
  assert.equal(new URL(page.url()).hash, '#/teams');
  log('signed in again with the master key from an admin page');

  // 8. At a phone's width (390 px) no page scrolls sideways (tables scroll in
  // their own box) and every navigation link is on screen.
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, hasTouch: true });
  const mobile = await phone.newPage();
  mobile.on('pageerror', (e) => errors.push('page error (phone): ' + e.message));
  const fits = async (what) => {
    const m = await mobile.evaluate(() => ({ sw: document.scrollingElement.scrollWidth, w: window.innerWidth }));
    assert.ok(m.sw <= m.w, `${what} at 390 px is ${m.sw} px wide`);
  };
  await mobile.goto(base + '/ui');
  await mobile.getByTestId('login-key').waitFor();
  await fits('the sign-in page');
  await mobile.getByTestId('login-key').fill(master);
  await mobile.getByTestId('login-submit').click();
  await mobile.getByTestId('batches-table').waitFor();
  const pages = [
    ['#/batches', 'batches-table'], ['#/batches/' + batchID, 'timeline'], ['#/files', 'files-table'], ['#/spend', 'chart-spend-time'],
    ['#/keys', 'keys-table'], ['#/users', 'users-table'], ['#/users/ann', 'edit-user'], ['#/teams', 'teams-table'], ['#/teams/research', 'edit-team'],
  ];
  for (const [hash, testid] of pages) {
    await mobile.goto(base + '/ui/' + hash);
    await mobile.getByTestId(testid).waitFor({ timeout: 10000 });
    await mobile.waitForTimeout(100);
    await fits(hash);
  }
  for (const id of ['batches', 'files', 'spend', 'keys', 'users', 'teams']) {
    const a = mobile.getByTestId('nav-' + id);
    const box = await a.boundingBox();
    assert.ok(box && box.x >= 0 && box.x + box.width <= 390 && box.height > 0, `nav-${id} is off screen at 390 px: ${JSON.stringify(box)}`);
  }
  await mobile.goto(base + '/ui/#/batches');
  await mobile.getByTestId('batches-table').waitFor();
  await shot(mobile, 'phone-batches');
  await mobile.getByTestId('nav-files').click();
  await mobile.getByTestId('files-table').waitFor();
  assert.equal(new URL(mobile.url()).hash, '#/files');
  await mobile.goto(base + '/ui/#/batches');
  await mobile.getByTestId('new-batch').click();
  await mobile.getByTestId('batch-file').waitFor();
  await fits('the new batch dialog');
  await shot(mobile, 'phone-new-batch');
  await phone.close();
  log('phone width checked');

  assert.deepEqual(errors, [], 'the console logged errors');
  log('PASS');
} catch (e) {
  console.error('FAIL:', e.stack || e);
  if (errors.length) console.error(errors.join('\n'));
  process.exitCode = 1;
} finally {
  await browser.close();
}
