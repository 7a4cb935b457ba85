// Drives lightd's node page (GET /) in headless Chromium against a running daemon, and reports
// each check as one JSON line on stdout ({"check", "ok", ...}), ending with
// {"done": true, "ok": true|false}. BrowserNodePageIntegrationTest starts the daemon, runs this
// and asserts on those lines.
//
//   node node-check.mjs '{"mode": "drive", "base": "http://127.0.0.1:PORT", "masterToken": "...",
//                         "running": "id", "installed": ["id", "id"], "newId": "id", "hungId": "id",
//                         "chromium": "/usr/bin/chromium", "out": "DIR"}'
//   node node-check.mjs '{"mode": "scale", "base": ..., "masterToken": ..., "servers": 5000,
//                         "last": "id", "chromium": ..., "out": ...}'
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

const cfg = JSON.parse(process.argv[2]);
const WAIT = 20_000;

function report(line) {
  process.stdout.write(JSON.stringify(line) + '\n');
}

async function check(name, fn) {
  try {
    const detail = await fn();
    report({ check: name, ok: true, ...(detail === undefined ? {} : { detail }) });
  } catch (e) {
    report({ check: name, ok: false, error: String(e && e.message ? e.message : e) });
    throw e;
  }
}

function expect(condition, message) {
  if (!condition) {
    throw new Error(message);
  }
}

mkdirSync(cfg.out, { recursive: true });
const browser = await chromium.launch({ executablePath: cfg.chromium, args: ['--no-sandbox'] });
const problems = [];
const foreign = [];
// While a create is refused on purpose the browser logs that 400 response; nothing else may fail.
let refusedCreate = false;

// A page whose node stream is refused on purpose may log that handshake's failure; nothing else.
async function newPage(refusalExpected) {
  const p = await browser.newPage({ viewport: { width: 1440, height: 820 } });
  p.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  p.on('console', (m) => {
    const refusal = refusalExpected && /WebSocket connection to .*\/node\/stream.* failed/.test(m.text());
    const expected400 = refusedCreate && /status of 400 \(Bad Request\)/.test(m.text());
    if (m.type() === 'error' && !refusal && !expected400) {
      problems.push(`console error: ${m.text()}`);
    }
  });
  p.on('request', (r) => {
    if (new URL(r.url()).host !== new URL(cfg.base).host) {
      foreign.push(r.url());
    }
  });
  // Every main-thread task longer than 50 ms, from the first script on: what "the page stalls" means.
  await p.addInitScript(() => {
    window.__longTasks = [];
    try {
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) {
          window.__longTasks.push(Math.round(e.duration));
        }
      }).observe({ type: 'longtask', buffered: true });
    } catch (e) {
      // no long task timing in this browser
    }
  });
  return p;
}

const page = await newPage();
const row = (id) => page.locator(`#rows tr[data-id="${id}"]`);
const rowState = (id) => row(id).getAttribute('data-state');
const waitRowState = (id, state) => page.waitForSelector(`#rows tr[data-id="${id}"][data-state="${state}"]`,
  { timeout: WAIT });

async function drive() {
  await check('page loads and takes the token out of the URL', async () => {
    const response = await page.goto(`${cfg.base}/#token=${encodeURIComponent(cfg.masterToken)}`);
    expect(response.status() === 200, `page status ${response.status()}`);
    expect(response.headers()['content-security-policy'].includes("default-src 'none'"), 'no strict policy');
    expect(!page.url().includes(cfg.masterToken), `the token is still in the address: ${page.url()}`);
    const kept = await page.evaluate(() => sessionStorage.getItem('lightd.console.token'));
    expect(kept === cfg.masterToken, 'the token is not kept in sessionStorage');
  });

  await check('lists every server with its live state and the node facts', async () => {
    await page.waitForSelector('#link[data-link="open"]', { timeout: WAIT });
    await waitRowState(cfg.running, 'running');
    for (const id of cfg.installed) {
      await waitRowState(id, 'installed');
    }
    const count = await page.locator('#count').innerText();
    expect(count === '3 servers', `count says ${count}`);
    const facts = {
      version: await page.locator('#fact-version').innerText(),
      runtime: await page.locator('#fact-runtime').innerText(),
      available: await page.locator('#fact-runtime').getAttribute('data-available'),
      running: await page.locator('#fact-servers').innerText(),
      sessions: await page.locator('#fact-sessions').innerText(),
      memory: await page.locator('#fact-memory').innerText(),
      uptime: await page.locator('#fact-uptime').innerText(),
    };
    expect(facts.runtime === 'process' && facts.available === 'true', `runtime shows ${JSON.stringify(facts)}`);
    expect(facts.running === '1 of 3', `running shows ${facts.running}`);
    expect(/^\d+$/.test(facts.sessions) && Number(facts.sessions) >= 1, `sessions show ${facts.sessions}`);
    expect(/ of [\d.]+ (MiB|GiB|TiB)$/.test(facts.memory), `host memory shows ${facts.memory}`);
    expect(/^\d+[smhd]/.test(facts.uptime), `uptime shows ${facts.uptime}`);
    return facts;
  });

  await check('shows CPU and memory of the running server, with its limit, and its open consoles', async () => {
    await page.waitForFunction((id) => {
      const tr = document.querySelector(`#rows tr[data-id="${id}"]`);
      return tr && /^\d+\.\d %$/.test(tr.querySelector('.cpu').textContent)
        && /^[1-9][\d.]* (B|KiB|MiB|GiB) \/ [\d.]+ (MiB|GiB|TiB)$/.test(tr.querySelector('.memory').textContent);
    }, cfg.running, { timeout: WAIT });
    const r = row(cfg.running);
    const detail = {
      cpu: await r.locator('.cpu').innerText(),
      memory: await r.locator('.memory').innerText(),
      consoles: await r.locator('.consoles').innerText(),
    };
    expect(detail.memory.endsWith('/ 256.0 MiB'), `the limit is not the configured 256 MiB: ${detail.memory}`);
    expect(detail.consoles === '1', `consoles show ${detail.consoles}`);
    return detail;
  });

  await check('a screenshot of the node page', async () => {
    await page.screenshot({ path: join(cfg.out, 'node.png') });
  });

  await check('stopping a server from the page updates its row', async () => {
    await row(cfg.running).locator('button[data-action="stop"]').click();
    await waitRowState(cfg.running, 'exit');
    const r = row(cfg.running);
    expect(await r.locator('.cpu').innerText() === '–', 'CPU still shows a number after the stop');
    expect(!(await r.locator('button[data-action="start"]').isDisabled()), 'start is disabled after the stop');
    expect(await r.locator('button[data-action="stop"]').isDisabled(), 'stop is enabled after the stop');
    await page.waitForFunction(() => document.getElementById('fact-servers').textContent === '0 of 3', null,
      { timeout: WAIT });
  });

  await check("a bad field shows the daemon's error next to that field", async () => {
    await page.click('#new-server');
    await page.fill('#f-internal_id', cfg.newId);
    await page.fill('#f-image', 'local');
    await page.fill('#f-startup_command', 'echo ready; while read line; do echo "$line"; done');
    await page.fill('#f-start_pattern', 'Done (');
    await page.fill('#f-env', 'EULA=true');
    await page.fill('#f-memory', '128');
    await page.fill('#f-ports', '25565 0.0.0.0:25566/udp');
    refusedCreate = true;
    await page.click('#create-submit');
    const error = page.locator('.field-error[data-for="start_pattern"]');
    await error.waitFor({ state: 'visible', timeout: WAIT });
    const text = await error.innerText();
    expect(text.startsWith('start_pattern is not a valid regular expression'), `the field says: ${text}`);
    expect(await page.locator('#f-start_pattern').getAttribute('aria-invalid') === 'true', 'the field is not marked');
    const others = await page.locator('.field-error:not([data-for="start_pattern"])').allInnerTexts();
    expect(others.every((t) => t === ''), `errors elsewhere: ${JSON.stringify(others)}`);
    expect(await page.locator('#create').isVisible(), 'the form closed');
    expect(await row(cfg.newId).count() === 0, 'a row appeared for a refused create');
    await page.screenshot({ path: join(cfg.out, 'node-create-error.png') });
    refusedCreate = false;
    return text;
  });

  await check("each value the engine would refuse shows the daemon's error next to its field", async () => {
    await page.fill('#f-start_pattern', 'ready');
    const cases = [
      { field: 'cpu', bad: () => page.fill('#f-cpu', '1000'), good: () => page.fill('#f-cpu', ''),
        says: 'limits.cpu must be from 0.01 to ' },
      { field: 'memory', bad: () => page.fill('#f-memory', '0.001'), good: () => page.fill('#f-memory', '128'),
        says: 'limits.memory must be at least 6 MiB' },
      { field: 'image', bad: () => page.fill('#f-image', 'UPPER/Case::'), good: () => page.fill('#f-image', 'local'),
        says: 'image "UPPER/Case::" is not a valid image reference' },
      { field: 'ports', bad: () => page.fill('#f-ports', '999.1.1.1:25565'),
        good: () => page.fill('#f-ports', '25565 0.0.0.0:25566/udp'), says: 'ports[0].ip must be an IPv4 or IPv6 address' },
      { field: 'disk', bad: () => page.fill('#f-disk', '-1'), good: () => page.fill('#f-disk', '1024'),
        says: 'limits.disk must be a non-negative integer' },
      { field: 'restart_policy',
        bad: async () => {
          await page.selectOption('#f-restart_policy', 'on-failure');
          await page.fill('#f-max_retries', '-1');
        },
        good: async () => {
          await page.fill('#f-max_retries', '2');
          await page.fill('#f-window_seconds', '60');
        },
        says: 'restart_policy.max_retries must be an integer from 0 to ' },
      // The list offers only good signals; one the daemon does not take still lands next to the field.
      { field: 'stop_signal',
        bad: async () => {
          await page.evaluate(() => document.getElementById('f-stop_signal').add(new Option('SIGKILL', 'SIGKILL')));
          await page.selectOption('#f-stop_signal', 'SIGKILL');
        },
        good: () => page.selectOption('#f-stop_signal', 'SIGINT'), says: 'stop_signal must be one of ' },
    ];
    refusedCreate = true;
    const shown = {};
    for (const c of cases) {
      await c.bad();
      await page.click('#create-submit');
      await page.waitForFunction(({ field, says }) => document.querySelector(`.field-error[data-for="${field}"]`)
        .textContent.startsWith(says), { field: c.field, says: c.says }, { timeout: WAIT });
      shown[c.field] = await page.locator(`.field-error[data-for="${c.field}"]`).innerText();
      const others = await page.locator(`.field-error:not([data-for="${c.field}"])`).allInnerTexts();
      expect(others.every((t) => t === ''), `${c.field}: errors elsewhere: ${JSON.stringify(others)}`);
      expect(await page.locator('#create-error').innerText() === '', `${c.field}: the error is not at its field`);
      await c.good();
    }
    refusedCreate = false;
    expect(await row(cfg.newId).count() === 0, 'a row appeared for a refused create');
    return shown;
  });

  await check('a good create adds its row and it reaches installed', async () => {
    await page.uncheck('#f-tty');
    await page.click('#create-submit');
    await page.locator('#create').waitFor({ state: 'hidden', timeout: WAIT });
    await page.waitForSelector(`#rows tr[data-id="${cfg.newId}"] .badge.install[data-state="installed"]`,
      { timeout: WAIT });
    await waitRowState(cfg.newId, 'installed');
    const memory = await row(cfg.newId).locator('.memory').innerText();
    expect(memory === '– / 128.0 MiB', `memory shows ${memory}`);
    const r = await fetch(`${cfg.base}/containers/${cfg.newId}`,
      { headers: { Authorization: `Bearer ${cfg.masterToken}` } });
    const stored = await r.json();
    expect(stored.env.EULA === 'true' && stored.limits.memory === 134217728 && stored.ports.length === 2
      && stored.ports[1].protocol === 'udp' && stored.start_pattern === 'ready', `stored: ${JSON.stringify(stored)}`);
    expect(stored.limits.disk === 1073741824 && stored.stop_signal === 'SIGINT' && stored.tty === false
      && stored.restart_policy.name === 'on-failure' && stored.restart_policy.max_retries === 2
      && stored.restart_policy.window_seconds === 60, `newer fields stored: ${JSON.stringify(stored)}`);
    await page.waitForFunction(() => document.getElementById('count').textContent === '4 servers', null,
      { timeout: WAIT });
  });

  await check('filters and sorts the list', async () => {
    await page.fill('#filter', cfg.newId);
    await page.waitForFunction(() => document.getElementById('count').textContent === '1 of 4 servers', null,
      { timeout: WAIT });
    const ids = await page.locator('#rows tr[data-id]').evaluateAll((trs) => trs.map((t) => t.dataset.id));
    expect(ids.length === 1 && ids[0] === cfg.newId, `filtered rows: ${ids}`);
    await page.fill('#filter', 'stopped');
    await page.waitForFunction(() => document.getElementById('count').textContent === '1 of 4 servers', null,
      { timeout: WAIT });
    await page.fill('#filter', '');
    await page.waitForFunction(() => document.querySelectorAll('#rows tr[data-id]').length === 4, null,
      { timeout: WAIT });
    const order = () => page.locator('#rows tr[data-id]').evaluateAll((trs) => trs.map((t) => t.dataset.id));
    const ascending = await order();
    await page.click('.sort[data-sort="internal_id"]');
    await page.waitForFunction((first) => document.querySelector('#rows tr[data-id]').dataset.id !== first,
      ascending[0], { timeout: WAIT });
    const descending = await order();
    expect(JSON.stringify(descending) === JSON.stringify([...ascending].sort().reverse()),
      `ascending ${ascending}, then descending ${descending}`);
    await page.click('.sort[data-sort="state"]');
    await page.waitForSelector('.sort[data-sort="state"][aria-sort="ascending"]', { timeout: WAIT });
    await page.waitForFunction(() => {
      const rows = document.querySelectorAll('#rows tr[data-id]');
      return rows.length === 4 && rows[3].dataset.state === 'exit';
    }, null, { timeout: WAIT });
    await page.click('.sort[data-sort="internal_id"]');
  });

  await check('restart, kill, start and reinstall from the page', async () => {
    await row(cfg.running).locator('button[data-action="restart"]').click();
    await waitRowState(cfg.running, 'running');
    await row(cfg.running).locator('button[data-action="kill"]').click();
    await waitRowState(cfg.running, 'exit');
    await row(cfg.running).locator('button[data-action="start"]').click();
    await waitRowState(cfg.running, 'running');
    await row(cfg.installed[0]).locator('button[data-action="reinstall"]').click();
    await page.waitForSelector(`#rows tr[data-id="${cfg.installed[0]}"] .badge.install[data-state="installing"]`,
      { timeout: WAIT }).catch(() => {}); // an install without a script may be over before a batch
    await waitRowState(cfg.installed[0], 'installed');
  });

  await check('delete asks first, then removes the row', async () => {
    await row(cfg.newId).locator('button[data-action="delete"]').click();
    await page.locator('#confirm').waitFor({ state: 'visible', timeout: WAIT });
    expect(await page.locator('#confirm-id').innerText() === cfg.newId, 'the dialog names another server');
    await page.click('#confirm-cancel');
    expect(await page.locator('#confirm').isHidden(), 'cancel did not close the dialog');
    expect(await row(cfg.newId).count() === 1, 'cancel deleted anyway');
    await row(cfg.newId).locator('button[data-action="delete"]').click();
    await page.click('#confirm-delete');
    await row(cfg.newId).waitFor({ state: 'detached', timeout: WAIT });
    await page.waitForFunction(() => document.getElementById('count').textContent === '3 servers', null,
      { timeout: WAIT });
    const r = await fetch(`${cfg.base}/containers/${cfg.newId}`,
      { headers: { Authorization: `Bearer ${cfg.masterToken}` } });
    expect(r.status === 404, `the daemon still has it: ${r.status}`);
  });

  await check('a hung install can be killed, reinstalled and deleted; a row offers only what the daemon accepts',
    async () => {
      await page.setViewportSize({ width: 1400, height: 820 });
      const rest = (method, path, body) => fetch(`${cfg.base}${path}`, {
        method,
        headers: { Authorization: `Bearer ${cfg.masterToken}`, 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const enabled = (id) => row(id).locator('button[data-action]:not([disabled])')
        .evaluateAll((bs) => bs.map((b) => b.dataset.action));
      // Every action a row does not offer is one the daemon refuses (409), and refusing changes nothing.
      const refusedAll = async (id, offered) => {
        const answers = {};
        for (const action of ['start', 'stop', 'restart', 'kill', 'reinstall'].filter((a) => !offered.includes(a))) {
          const r = await rest('POST', `/containers/${id}/${action}`);
          answers[action] = `${r.status} ${(await r.json()).error}`;
          expect(r.status === 409, `${id}: ${action} is not offered but the daemon answered ${answers[action]}`);
        }
        return answers;
      };
      const offers = async (id, want) => {
        await page.waitForFunction(({ id, want }) => {
          const tr = document.querySelector(`#rows tr[data-id="${id}"]`);
          return tr && [...tr.querySelectorAll('button[data-action]:not([disabled])')].map((b) => b.dataset.action)
            .join() === want.join();
        }, { id, want }, { timeout: WAIT }).catch(() => {});
        const got = await enabled(id);
        expect(JSON.stringify(got) === JSON.stringify(want), `${id} offers ${got}, not ${want}`);
      };
      const created = await rest('POST', '/containers', { internal_id: cfg.hungId, image: 'local',
        startup_command: 'echo up', install_script: 'echo fetching; sleep 600' });
      expect(created.status === 202, `create answered ${created.status}`);
      await page.waitForSelector(`#rows tr[data-id="${cfg.hungId}"][data-state="installing"] .badge.install[data-state="installing"]`,
        { timeout: WAIT });
      await offers(cfg.hungId, ['kill', 'delete']);
      const clipped = await page.evaluate(() => [...document.querySelectorAll('#rows .badge')].filter((b) => {
        const td = b.closest('td');
        const inner = td.getBoundingClientRect().right - parseFloat(getComputedStyle(td).paddingRight);
        return b.getBoundingClientRect().right > inner + 0.5 || td.scrollWidth > td.clientWidth;
      }).map((b) => `${b.closest('tr').dataset.id}: ${b.textContent}`));
      expect(clipped.length === 0, `badges cut off at 1400 px: ${clipped.join(', ')}`);
      await page.screenshot({ path: join(cfg.out, 'node-installing.png') });
      const whileInstalling = await refusedAll(cfg.hungId, ['kill']);

      await row(cfg.hungId).locator('button[data-action="kill"]').click();
      await page.waitForSelector(`#rows tr[data-id="${cfg.hungId}"][data-state="exit"] .badge.install[data-state="failed"]`,
        { timeout: WAIT });
      await offers(cfg.hungId, ['reinstall', 'delete']);
      const afterFailure = await refusedAll(cfg.hungId, ['reinstall']);
      expect(afterFailure.start === '409 install failed; reinstall the server first', `start: ${afterFailure.start}`);

      await offers(cfg.installed[1], ['start', 'restart', 'reinstall', 'delete']);
      await offers(cfg.running, ['stop', 'restart', 'kill', 'reinstall', 'delete']);

      await row(cfg.hungId).locator('button[data-action="reinstall"]').click();
      await waitRowState(cfg.hungId, 'installing');
      await offers(cfg.hungId, ['kill', 'delete']);
      await row(cfg.hungId).locator('button[data-action="delete"]').click();
      await page.click('#confirm-delete');
      await row(cfg.hungId).waitFor({ state: 'detached', timeout: WAIT });
      const gone = await rest('GET', `/containers/${cfg.hungId}`);
      expect(gone.status === 404, `the daemon still has it: ${gone.status}`);
      await page.setViewportSize({ width: 1440, height: 820 });
      return { whileInstalling, afterFailure };
    });

  await check("opens a server's console with the same tab token", async () => {
    await row(cfg.running).locator('a.console').click();
    await page.waitForURL(`**/console/${cfg.running}`, { timeout: WAIT });
    await page.waitForSelector('#link[data-link="open"]', { timeout: WAIT });
    await page.waitForSelector('#state[data-state="running"]', { timeout: WAIT });
    expect(await page.locator('#auth').isHidden(), 'the console asked for a token again');
  });

  await check('a wrong token is refused and asked for again', async () => {
    const other = await newPage(true);
    await other.goto(`${cfg.base}/#token=lightd_not-the-master-token`);
    await other.waitForSelector('#auth:not([hidden])', { timeout: WAIT });
    const reason = await other.locator('#auth-reason').innerText();
    expect(reason.includes('master token'), `the dialog says: ${reason}`);
    expect(await other.locator('#rows tr[data-id]').count() === 0, 'rows shown without the master token');
    await other.fill('#auth-token', cfg.masterToken);
    await other.press('#auth-token', 'Enter');
    await other.waitForSelector('#link[data-link="open"]', { timeout: WAIT });
    await other.waitForFunction(() => document.getElementById('count').textContent === '3 servers', null,
      { timeout: WAIT });
    await other.close();
  });
}

async function scale() {
  let detail = {};
  await check(`renders ${cfg.servers} servers from one snapshot`, async () => {
    const started = Date.now();
    await page.goto(`${cfg.base}/#token=${encodeURIComponent(cfg.masterToken)}`);
    const want = `${new Intl.NumberFormat('en').format(cfg.servers)} servers`;
    await page.waitForFunction((w) => document.getElementById('count').textContent === w, want,
      { timeout: 60_000, polling: 50 });
    const wall = Date.now() - started;
    const timing = await page.evaluate(() => {
      const at = (name) => {
        const mark = performance.getEntriesByName(name)[0];
        return mark ? Math.round(mark.startTime) : null;
      };
      return {
        snapshotReceivedMs: at('lightd-node-snapshot'),
        firstRenderMs: at('lightd-node-first-render'),
        longTasks: window.__longTasks.slice(),
      };
    });
    const domRows = await page.locator('#rows tr[data-id]').count();
    expect(domRows > 0 && domRows < 100, `${domRows} rows in the document for ${cfg.servers} servers`);
    detail = { wallMsToCount: wall, ...timing, domRows };
    return detail;
  });

  await check('renders them again after a reload (the daemon warm)', async () => {
    await page.reload();
    const want = `${new Intl.NumberFormat('en').format(cfg.servers)} servers`;
    await page.waitForFunction((w) => document.getElementById('count').textContent === w, want,
      { timeout: 60_000, polling: 50 });
    return page.evaluate(() => {
      const at = (name) => Math.round(performance.getEntriesByName(name)[0].startTime);
      return {
        snapshotReceivedMs: at('lightd-node-snapshot'),
        firstRenderMs: at('lightd-node-first-render'),
        longTasks: window.__longTasks.slice(),
      };
    });
  });

  await check('filters, sorts and scrolls the whole list', async () => {
    await page.evaluate(() => { window.__longTasks.length = 0; });
    await page.fill('#filter', cfg.last);
    const want = `1 of ${new Intl.NumberFormat('en').format(cfg.servers)} servers`;
    await page.waitForFunction((w) => document.getElementById('count').textContent === w, want, { timeout: WAIT });
    await page.fill('#filter', '');
    await page.click('.sort[data-sort="internal_id"]');
    await page.waitForSelector(`#rows tr[data-id="${cfg.last}"]`, { timeout: WAIT });
    await page.click('.sort[data-sort="internal_id"]');
    await page.evaluate(() => { const l = document.getElementById('list'); l.scrollTop = l.scrollHeight; });
    await page.waitForSelector(`#rows tr[data-id="${cfg.last}"]`, { timeout: WAIT });
    const longTasks = await page.evaluate(() => window.__longTasks.slice());
    await page.screenshot({ path: join(cfg.out, 'node-5000.png') });
    return { longTasksWhileFilteringSortingScrolling: longTasks };
  });
}

let ok = false;
try {
  if (cfg.mode === 'scale') {
    await scale();
  } else {
    await drive();
  }
  await check('nothing external, no script or policy errors', async () => {
    expect(foreign.length === 0, `requests elsewhere: ${foreign.join(', ')}`);
    expect(problems.length === 0, problems.join('\n'));
  });
  ok = true;
} catch (e) {
  await page.screenshot({ path: join(cfg.out, `node-${cfg.mode}-failure.png`) }).catch(() => {});
  process.stderr.write(`${e && e.stack ? e.stack : e}\n`);
  if (problems.length) {
    process.stderr.write(`${problems.join('\n')}\n`);
  }
} finally {
  await browser.close();
}
report({ done: true, ok });
process.exit(ok ? 0 : 1);
