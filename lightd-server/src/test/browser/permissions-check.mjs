// Checks that lightd's browser console shows only the controls its token may use, in headless
// Chromium against a running daemon and a running container. Reports each check as one JSON line
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
  report({ check: 'no script errors', ok: problems.length === 0, ...(problems.length ? { error: problems.join('; ') } : {}) });
  ok = ok && problems.length === 0;
} finally {
  await browser.close();
  report({ done: true, ok });
}
process.exit(ok ? 0 : 1);
