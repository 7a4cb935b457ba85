// Drives lightd's browser console in headless Chromium against a running daemon and a running
// container, and reports each check as one JSON line on stdout ({"check", "ok", ...}), ending with
// {"done": true, "ok": true|false}. BrowserConsoleIntegrationTest starts the daemon, runs this and
// asserts on those lines.
//
//   node console-check.mjs '{"base": "http://127.0.0.1:PORT", "id": "...", "token": "...",
//                            "masterToken": "...", "chromium": "/usr/bin/chromium", "out": "DIR"}'
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

const cfg = JSON.parse(process.argv[2]);
const WAIT = 10_000;
const COMMAND = 'hello from the browser';
const LATER = 'and a later one';

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

async function newPage() {
  const p = await browser.newPage({ viewport: { width: 1280, height: 760 } });
  p.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  p.on('console', (m) => {
    if (m.type() === 'error') {
      problems.push(`console error: ${m.text()}`);
    }
  });
  p.on('request', (r) => {
    if (new URL(r.url()).host !== new URL(cfg.base).host) {
      foreign.push(r.url());
    }
  });
  return p;
}

const page = await newPage();

const output = () => page.locator('#output').innerText();
const disabled = (id) => page.locator(`#${id}`).isDisabled();
const pageUrl = `${cfg.base}/console/${cfg.id}#token=${encodeURIComponent(cfg.token)}`;

let ok = false;
try {
  await check('page loads and takes the token out of the URL', async () => {
    const response = await page.goto(pageUrl);
    expect(response.status() === 200, `page status ${response.status()}`);
    expect(!page.url().includes(cfg.token), `the token is still in the address: ${page.url()}`);
    const kept = await page.evaluate(() => sessionStorage.getItem('lightd.console.token'));
    expect(kept === cfg.token, 'the token is not kept in sessionStorage');
  });

  await check('connects and shows the running state', async () => {
    await page.waitForSelector('#link[data-link="open"]', { timeout: WAIT });
    await page.waitForSelector('#state[data-state="running"]', { timeout: WAIT });
    const badge = await page.locator('#state').innerText();
    expect(badge === 'Running', `badge says ${badge}`);
    expect(await disabled('power-start'), 'start is enabled while running');
    for (const b of ['power-stop', 'power-restart', 'power-kill', 'command']) {
      expect(!(await disabled(b)), `${b} is disabled while running`);
    }
  });

  await check('shows the earlier output once, from the history', async () => {
    await page.waitForFunction(() => document.getElementById('output').innerText.includes('Done (0.1s)!'),
      null, { timeout: WAIT });
    const text = await output();
    expect(text.includes('Booting'), 'no "Booting" line');
    expect(text.split('Done (0.1s)!').length === 2, `"Done (0.1s)!" is not there exactly once:\n${text}`);
  });

  await check('renders ANSI colours and bold, drops other escapes', async () => {
    const red = page.locator('#output span.b.f1', { hasText: 'red alert' });
    expect(await red.count() === 1, 'no bold red span with "red alert"');
    const green = page.locator('#output span.f2', { hasText: 'green' });
    expect(await green.count() === 1, 'no green span');
    expect(!(await green.first().getAttribute('class')).includes('b'), 'the reset did not end bold');
    const text = await output();
    expect(text.includes('plain after escapes'), 'the line after the escapes is missing');
    expect(!/\x1b|\[1;31m|\[2K|a title/.test(text), `escape sequences leak into the text:\n${text}`);
  });

  await check('renders output as text, never as markup', async () => {
    expect((await output()).includes('<b>not markup</b>'), 'the markup-like line is not shown as text');
    expect(await page.locator('#output b').count() === 0, 'output became an element');
  });

  await check('sends a command and shows its echo', async () => {
    await page.fill('#command', COMMAND);
    await page.press('#command', 'Enter');
    await page.waitForFunction((c) => document.getElementById('output').innerText.includes(`echo: ${c}`),
      COMMAND, { timeout: WAIT });
    expect(await page.inputValue('#command') === '', 'the input was not cleared');
    // The daemon sends each line as 'console' and then 'console duplicate'; once the echo of a later
    // command shows, the page has handled both frames of the first echo.
    await page.fill('#command', LATER);
    await page.press('#command', 'Enter');
    await page.waitForFunction((c) => document.getElementById('output').innerText.includes(`echo: ${c}`),
      LATER, { timeout: WAIT });
    const echoes = (await output()).split(`echo: ${COMMAND}`).length - 1;
    expect(echoes === 1, `the echo is shown ${echoes} times`);
  });

  await check('recalls commands with the arrow keys', async () => {
    const keys = [];
    for (const key of ['ArrowUp', 'ArrowUp', 'ArrowDown', 'ArrowDown']) {
      await page.press('#command', key);
      keys.push(await page.inputValue('#command'));
    }
    expect(JSON.stringify(keys) === JSON.stringify([LATER, COMMAND, LATER, '']),
      `up, up, down, down gave ${JSON.stringify(keys)}`);
  });

  await check('shows CPU and memory', async () => {
    await page.waitForFunction(() => /^\d+\.\d %$/.test(document.getElementById('cpu').innerText)
      && /^[1-9][\d.]* (B|KiB|MiB|GiB)$/.test(document.getElementById('memory').innerText), null, { timeout: WAIT });
    const detail = {
      cpu: await page.locator('#cpu').innerText(),
      memory: await page.locator('#memory').innerText(),
      limit: await page.locator('#memory-limit').innerText(),
    };
    expect(/^limit [\d.]+ (KiB|MiB|GiB|TiB)$/.test(detail.limit), `limit shows ${detail.limit}`);
    // Three more samples drawn (the page adds one a second, repeating the latest stats when nothing
    // changed), so the charts in the screenshot have a line.
    await page.waitForFunction(() => {
      const now = document.getElementById('cpu-chart').toDataURL();
      const seen = (window.chartSeen ??= { last: now, changes: 0 });
      if (now !== seen.last) {
        seen.last = now;
        seen.changes++;
      }
      return seen.changes >= 3;
    }, null, { timeout: 3 * WAIT, polling: 100 });
    await page.screenshot({ path: join(cfg.out, 'console.png') });
    return detail;
  });

  await check('kill stops the server and the buttons follow the state', async () => {
    await page.click('#power-kill');
    await page.waitForSelector('#state[data-state="exit"]', { timeout: WAIT });
    await page.waitForFunction(() => Array.from(document.querySelectorAll('#output .note.daemon'))
      .some((n) => n.textContent === 'Container stopped'), null, { timeout: WAIT });
    expect(!(await disabled('power-start')), 'start is disabled after the kill');
    for (const b of ['power-stop', 'power-kill', 'command']) {
      expect(await disabled(b), `${b} is enabled after the kill`);
    }
    expect(await page.locator('#cpu').innerText() === '–', 'CPU still shows a number after the exit');
  });

  await check('a revoked token closes the console and asks for a new one', async () => {
    const r = await fetch(`${cfg.base}/auth/tokens/${encodeURIComponent(cfg.token)}`,
      { method: 'DELETE', headers: { Authorization: `Bearer ${cfg.masterToken}` } });
    expect(r.status === 200, `revoking answered ${r.status}`);
    await page.waitForSelector('#auth:not([hidden])', { timeout: WAIT });
    const reason = await page.locator('#auth-reason').innerText();
    expect(reason.includes('revoked'), `the dialog says: ${reason}`);
    expect(await page.evaluate(() => sessionStorage.getItem('lightd.console.token')) === null,
      'the revoked token is still stored');
    // A reconnect would be scheduled with the link showing "retry"; "closed" means none is.
    expect(await page.locator('#link').getAttribute('data-link') === 'closed', 'it tries to reconnect anyway');
    await page.screenshot({ path: join(cfg.out, 'console-token.png') });
  });

  // From here on the page's WebSockets pass through Playwright, which can cut them like a network
  // would; they still end at the daemon.
  let route = null;
  await page.routeWebSocket(/\/ws\//, (ws) => {
    ws.connectToServer();
    route = ws;
  });

  await check('a new token reconnects', async () => {
    await page.fill('#auth-token', cfg.masterToken);
    await page.press('#auth-token', 'Enter');
    await page.waitForSelector('#link[data-link="open"]', { timeout: WAIT });
    await page.waitForSelector('#state[data-state="exit"]:not(.stale)', { timeout: WAIT });
    expect(await page.locator('#auth').isHidden(), 'the token dialog is still open');
    await page.waitForFunction((c) => document.getElementById('output').innerText.includes(`echo: ${c}`),
      COMMAND, { timeout: WAIT });
  });

  await check('a dropped connection is reopened after a pause', async () => {
    const before = route;
    before.close({ code: 1011, reason: 'dropped by the test' });
    await page.waitForSelector('#link[data-link="retry"]', { timeout: WAIT });
    expect(await disabled('power-start'), 'start is enabled while disconnected');
    await page.waitForSelector('#link[data-link="open"]', { timeout: WAIT });
    expect(route !== before, 'no new connection was opened');
    await page.waitForSelector('#state[data-state="exit"]:not(.stale)', { timeout: WAIT });
    expect(await page.locator('#auth').isHidden(), 'it asked for a token after a plain drop');
  });

  let expiredRoute = null;
  await check('an expired token (close 4001) asks for a new one instead of reconnecting', async () => {
    expiredRoute = route;
    expiredRoute.close({ code: 4001, reason: 'token expired' });
    await page.waitForSelector('#auth:not([hidden])', { timeout: WAIT });
    const reason = await page.locator('#auth-reason').innerText();
    expect(reason.includes('expired'), `the dialog says: ${reason}`);
    // A reconnect would be scheduled with the link showing "retry"; "closed" means none is.
    expect(await page.locator('#link').getAttribute('data-link') === 'closed', 'it schedules a reconnect anyway');
    expect(route === expiredRoute, 'it opened a new connection anyway');
  });

  // A second page whose WebSocket Playwright answers itself, to feed it what a real server rarely
  // sends on cue.
  const mock = await newPage();
  let fake = null;
  await mock.routeWebSocket(/\/ws\//, (ws) => {
    fake = ws;
  });
  // The page asks the daemon what its token may do before it connects; the mock answers that too.
  await mock.route(/\/console\/[^/]+\/session$/, (route) => route.fulfill({
    json: { permissions: ['console', 'command', 'power.start', 'power.stop', 'power.restart', 'power.kill'] },
  }));
  const feed = (data) => fake.send(JSON.stringify({ event: 'console', data }));
  const mockOutput = () => mock.locator('#output').innerText();

  await check('says so when the daemon reports nothing for the id (mocked WebSocket)', async () => {
    await mock.goto(`${cfg.base}/console/nobody-1#token=lightd_mocked`);
    await mock.waitForFunction(() => document.getElementById('output').innerText
      .includes('No container "nobody-1" on this daemon yet'), null, { timeout: WAIT });
    expect(await mock.locator('#state').getAttribute('data-state') === 'unknown', 'a state is shown');
    fake.send(JSON.stringify({ event: 'event', data: 'running' }));
    await mock.waitForSelector('#state[data-state="running"]', { timeout: WAIT });
  });

  await check('handles split escapes, carriage returns and extended colours (mocked WebSocket)', async () => {
    feed('split \x1b[3');
    feed('1mred\x1b[0m tail\n');
    feed('progress 10%\rprogress 100%\r\n');
    feed('\x1b[38;2;1;31;2;1mrgb\x1b[0m \x1b[38;5;196m256\x1b[39m\n'); // true colour 1,31,2 then bold
    feed('bell\x07 and\ttab\n');
    await mock.waitForFunction(() => document.getElementById('output').innerText.includes('and\ttab'),
      null, { timeout: WAIT });
    const text = await mockOutput();
    expect(text.includes('split red tail\nprogress 100%\nrgb 256\nbell and\ttab'), `the text is:\n${text}`);
    expect(await mock.locator('#output span.f1', { hasText: 'red' }).count() === 1, 'the split escape lost its colour');
    const rgb = await mock.locator('#output span', { hasText: 'rgb' })
      .evaluateAll((spans) => spans.map((e) => e.className));
    expect(rgb.length === 1 && rgb[0] === 'b', `the true-colour arguments were read as codes: ${JSON.stringify(rgb)}`);
  });

  await check('keeps the last 5000 lines and pauses auto-scroll while scrolled up (mocked WebSocket)', async () => {
    feed(Array.from({ length: 6000 }, (_, i) => `line ${i}`).join('\n') + '\n');
    await mock.waitForFunction(() => document.getElementById('output').innerText.includes('line 5999'),
      null, { timeout: WAIT });
    const lines = await mock.evaluate(() => document.getElementById('output').childElementCount);
    expect(lines === 5000, `${lines} lines are kept`);
    const atBottom = () => mock.evaluate(() => {
      const o = document.getElementById('output');
      return o.scrollTop + o.clientHeight >= o.scrollHeight - 8;
    });
    expect(await atBottom(), 'it did not follow the output');
    // Resolves after the page's own scroll listener (registered first) has seen the scroll.
    await mock.evaluate(() => new Promise((resolve) => {
      const o = document.getElementById('output');
      o.addEventListener('scroll', resolve, { once: true });
      o.scrollTop = 0;
    }));
    feed('after scrolling up\n');
    await mock.waitForFunction(() => document.getElementById('output').innerText.includes('after scrolling up'),
      null, { timeout: WAIT });
    expect(await mock.evaluate(() => document.getElementById('output').scrollTop) === 0, 'it scrolled anyway');
    await mock.waitForSelector('#jump:not([hidden])', { timeout: WAIT });
    await mock.click('#jump');
    expect(await atBottom(), 'the jump button did not scroll down');
  });

  await check('nothing external, no script or policy errors', async () => {
    expect(route === expiredRoute, 'the page reconnected after its token expired');
    expect(foreign.length === 0, `requests elsewhere: ${foreign.join(', ')}`);
    expect(problems.length === 0, problems.join('\n'));
  });
  ok = true;
} catch (e) {
  await page.screenshot({ path: join(cfg.out, 'console-failure.png') }).catch(() => {});
  process.stderr.write(`${e && e.stack ? e.stack : e}\n`);
  if (problems.length) {
    process.stderr.write(`${problems.join('\n')}\n`);
  }
} finally {
  await browser.close();
}
report({ done: true, ok });
process.exit(ok ? 0 : 1);
