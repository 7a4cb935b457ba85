// Checks that lightd's browser console shows only the controls its token may use, in headless
// Chromium against a running daemon and a running container, and none while it cannot learn them
// (GET /console/{id}/session failing), retrying until it can. Reports each check as one JSON line
// on stdout ({"check", "ok", ...}), ending with {"done": true, "ok": true|false}.
// BrowserPermissionsIntegrationTest starts the daemon, issues the tokens, runs this and asserts on
// those lines.
//
//   node permissions-check.mjs '{"base": "http://127.0.0.1:PORT", "id": "...", "readOnly": "...",
//                                "startStop": "...", "full": "...", "signedReadOnly": "...",
//                                "chromium": "/usr/bin/chromium",
//                                "out": "DIR"}'
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

const cfg = JSON.parse(process.argv[2]);
const WAIT = 15_000;
const POWER = ['start', 'stop', 'restart', 'kill'];

function report(line) {
  process.stdout.write(JSON.stringify(line) + '\n');
}

function expect(condition, message) {
  if (!condition) {
    throw new Error(message);
  }
}

mkdirSync(cfg.out, { recursive: true });
const browser = await chromium.launch({ executablePath: cfg.chromium, args: ['--no-sandbox'] });
const problems = [];

// Opens the console with `token` and waits until it is live and shows the running state, so what
// is visible then is what the page settled on for that token.
async function openWith(token) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 760 } });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  await page.goto(`${cfg.base}/console/${cfg.id}#token=${encodeURIComponent(token)}`);
  await page.waitForSelector('#link[data-link="open"]', { timeout: WAIT });
  await page.waitForSelector('#state[data-state="running"]', { timeout: WAIT });
  return page;
}

// Opens the console with `token` while GET /console/{id}/session fails: first with a 503, then
// with a network error, until `released()` is called; from then on the request reaches the daemon.
async function openWithFailingSession(token) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 760 } });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  let failures = 0;
  let release = false;
  let failedTwice;
  const twice = new Promise((resolve) => { failedTwice = resolve; });
  await page.route('**/console/*/session', async (route) => {
    if (release) {
      await route.continue();
      return;
    }
    failures++;
    if (failures === 1) {
      await route.fulfill({ status: 503, contentType: 'application/json', body: '{"error":"unavailable"}' });
    } else {
      await route.abort('failed');
    }
    if (failures === 2) {
      failedTwice();
    }
  });
  await page.goto(`${cfg.base}/console/${cfg.id}#token=${encodeURIComponent(token)}`);
  await page.waitForSelector('#link[data-link="open"]', { timeout: WAIT });
  await page.waitForSelector('#state[data-state="running"]', { timeout: WAIT });
  await Promise.race([twice, new Promise((_, reject) => setTimeout(
    () => reject(new Error(`the session request was asked ${failures} times, not retried`)), WAIT))]);
  return { page, released: () => { release = true; } };
}

// While what the token may do is unknown no control shows and a notice says why; once the
// session request gets through, the token's own controls show and the notice goes.
async function checkFailClosed(name, token, expected, screenshot) {
  try {
    const { page, released } = await openWithFailingSession(token);
    await page.waitForSelector('#permissions-notice', { state: 'visible', timeout: WAIT });
    const whileUnknown = await visible(page);
    const notice = await page.locator('#permissions-notice').textContent();
    await page.screenshot({ path: join(cfg.out, screenshot) });
    expect(whileUnknown.length === 0, `shows ${JSON.stringify(whileUnknown)} while its permissions are unknown`);
    expect(/controls stay hidden/.test(notice), `the notice says ${JSON.stringify(notice)}`);
    released();
    await page.waitForSelector('#permissions-notice', { state: 'hidden', timeout: WAIT });
    const known = await visible(page);
    await page.close();
    expect(JSON.stringify(known) === JSON.stringify(expected),
      `once known shows ${JSON.stringify(known)}, expected ${JSON.stringify(expected)}`);
    report({ check: name, ok: true, detail: { whileUnknown, known, notice } });
    return true;
  } catch (e) {
    report({ check: name, ok: false, error: String(e && e.message ? e.message : e) });
    return false;
  }
}

async function visible(page) {
  const shown = [];
  for (const action of POWER) {
    if (await page.locator(`#power-${action}`).isVisible()) {
      shown.push(`power.${action}`);
    }
  }
  if (await page.locator('#command').isVisible()) {
    shown.push('command');
  }
  return shown;
}

async function check(name, token, expected, screenshot) {
  try {
    const page = await openWith(token);
    const shown = await visible(page);
    await page.screenshot({ path: join(cfg.out, screenshot) });
    await page.close();
    expect(JSON.stringify(shown) === JSON.stringify(expected),
      `shows ${JSON.stringify(shown)}, expected ${JSON.stringify(expected)}`);
    report({ check: name, ok: true, detail: shown });
    return true;
  } catch (e) {
    report({ check: name, ok: false, error: String(e && e.message ? e.message : e) });
    return false;
  }
}

let ok = true;
try {
  ok = await check('a full token shows the command line and every power button', cfg.full,
    ['power.start', 'power.stop', 'power.restart', 'power.kill', 'command'], 'permissions-full.png') && ok;
  ok = await check('a read-only token shows no command line and no power buttons', cfg.readOnly,
    [], 'permissions-read-only.png') && ok;
  ok = await check('a start-and-stop token shows only those two buttons', cfg.startStop,
    ['power.start', 'power.stop'], 'permissions-start-stop.png') && ok;
  ok = await check('a read-only panel-signed token shows no command line and no power buttons', cfg.signedReadOnly,
    [], 'permissions-signed-read-only.png') && ok;
  ok = await checkFailClosed('a read-only token whose session request fails shows no controls, a notice, and '
    + 'still no controls once a retry gets through', cfg.readOnly, [], 'permissions-unknown-read-only.png') && ok;
  ok = await checkFailClosed('a full token whose session request fails shows no controls and a notice until a '
    + 'retry gets through, then all of them', cfg.full,
    ['power.start', 'power.stop', 'power.restart', 'power.kill', 'command'], 'permissions-unknown-full.png') && ok;
  report({ check: 'no script errors', ok: problems.length === 0, ...(problems.length ? { error: problems.join('; ') } : {}) });
  ok = ok && problems.length === 0;
} finally {
  await browser.close();
  report({ done: true, ok });
}
process.exit(ok ? 0 : 1);
