// lightd's built-in console: one container's console, state, power actions and resources over
// /ws/{internal_id}, as websocket-api.md describes them. Output is only ever inserted as text
// (textContent, text nodes), never parsed as markup; the page's policy forbids it anyway.
(() => {
  'use strict';

  const MAX_LINES = 5000;
  const MAX_QUEUED = 10000;
  const MAX_COMMANDS = 100;
  const SAMPLES = 60;
  const HISTORY_WAIT_MS = 1500;
  const TOKEN_KEY = 'lightd.console.token';
  const CLOSE_TOKEN_EXPIRED = 4001;
  const CLOSE_TOKEN_REVOKED = 4003;
  const STATES = {
    installing: { label: 'Installing', actions: [], input: false },
    installed: { label: 'Installed', actions: ['start', 'restart'], input: false },
    starting: { label: 'Starting', actions: ['stop', 'restart', 'kill'], input: true },
    running: { label: 'Running', actions: ['stop', 'restart', 'kill'], input: true },
    stopping: { label: 'Stopping', actions: ['restart', 'kill'], input: false },
    exit: { label: 'Stopped', actions: ['start', 'restart'], input: false },
  };

  const $ = (id) => document.getElementById(id);
  const path = location.pathname;
  const serverId = decodeURIComponent(path.slice(path.lastIndexOf('/') + 1));
  const base = path.slice(0, path.lastIndexOf('/console/') + 1);

  // ---- Token: from the URL (then removed from it), else this tab's storage, else asked for ----

  const storage = (() => {
    try {
      return window.sessionStorage;
    } catch (e) {
      return null;
    }
  })();

  function takeTokenFromUrl() {
    const hash = new URLSearchParams(location.hash.slice(1));
    const query = new URLSearchParams(location.search);
    const found = hash.get('token') || query.get('token');
    if (hash.has('token') || query.has('token')) {
      hash.delete('token');
      query.delete('token');
      const q = query.toString();
      const h = hash.toString();
      history.replaceState(null, '', path + (q ? '?' + q : '') + (h ? '#' + h : ''));
    }
    return found;
  }

  function rememberToken(value) {
    token = value;
    if (storage) {
      if (value) {
        storage.setItem(TOKEN_KEY, value);
      } else {
        storage.removeItem(TOKEN_KEY);
      }
    }
  }

  let token = null;
  const fromUrl = takeTokenFromUrl();
  if (fromUrl) {
    rememberToken(fromUrl);
  } else if (storage) {
    token = storage.getItem(TOKEN_KEY);
  }

  // ---- Console output: ANSI SGR colours and bold, everything else of escape sequences dropped ----

  const term = (() => {
    const out = $('output');
    const jump = $('jump');
    const CSI = /\x1b\[([0-?]*)([ -\/]*)([@-~])/y;
    const OSC = /\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)/y;
    const ESC = /\x1b[ -\/]*[0-Z\\^-~]/y; // not [ or ], which open the two above
    const PARTIAL = /\x1b(?:\[[0-?]*[ -\/]*|\][^\x07\x1b]*\x1b?|[ -\/]*)$/y;
    const SPECIAL = /[\x00-\x08\x0a-\x1f\x7f]/g; // all control characters but the tab
    let line = null;
    let fg = -1;
    let bg = -1;
    let bold = false;
    let carry = '';
    let pendingCr = false;
    let follow = true;
    let queue = [];
    let scheduled = false;

    out.addEventListener('scroll', () => {
      follow = out.scrollTop + out.clientHeight >= out.scrollHeight - 8;
      if (follow) {
        jump.hidden = true;
      }
    });
    jump.addEventListener('click', () => {
      follow = true;
      jump.hidden = true;
      out.scrollTop = out.scrollHeight;
    });

    // Timers of a background tab may be held back for long; what piles up meanwhile stays bounded.
    function schedule(item) {
      queue.push(item);
      if (queue.length > MAX_QUEUED) {
        queue.splice(0, queue.length - MAX_QUEUED / 2, { kind: 'local', message: 'Earlier output skipped.' });
      }
      if (!scheduled) {
        scheduled = true;
        setTimeout(flush, 16);
      }
    }

    function flush() {
      scheduled = false;
      const items = queue;
      queue = [];
      for (const item of items) {
        if (item.text !== undefined) {
          write(item.text);
        } else {
          note(item.kind, item.message);
        }
      }
      while (out.childElementCount > MAX_LINES) {
        if (out.firstElementChild === line) {
          line = null;
        }
        out.firstElementChild.remove();
      }
      if (follow) {
        out.scrollTop = out.scrollHeight;
      } else {
        jump.hidden = false;
      }
    }

    function openLine() {
      if (!line) {
        line = document.createElement('div');
        line.className = 'line';
        out.appendChild(line);
      }
      return line;
    }

    function append(text) {
      if (!text) {
        return;
      }
      const cls = (bold ? 'b ' : '') + (fg >= 0 ? 'f' + fg + ' ' : '') + (bg >= 0 ? 'g' + bg : '');
      if (cls) {
        const span = document.createElement('span');
        span.className = cls.trim();
        span.textContent = text;
        openLine().appendChild(span);
      } else {
        openLine().appendChild(document.createTextNode(text));
      }
    }

    function sgr(params) {
      const codes = params === '' ? [0] : params.split(';').map((p) => parseInt(p, 10) || 0);
      for (let k = 0; k < codes.length; k++) {
        const n = codes[k];
        if (n === 0) {
          fg = -1;
          bg = -1;
          bold = false;
        } else if (n === 1) {
          bold = true;
        } else if (n === 22) {
          bold = false;
        } else if (n >= 30 && n <= 37) {
          fg = n - 30;
        } else if (n >= 90 && n <= 97) {
          fg = n - 90 + 8;
        } else if (n === 39) {
          fg = -1;
        } else if (n >= 40 && n <= 47) {
          bg = n - 40;
        } else if (n >= 100 && n <= 107) {
          bg = n - 100 + 8;
        } else if (n === 49) {
          bg = -1;
        } else if ((n === 38 || n === 48) && !params.includes(':')) {
          k += codes[k + 1] === 5 ? 2 : codes[k + 1] === 2 ? 4 : 0; // 256 and true colour: skipped
        }
      }
    }

    // Terminal-like text: \n ends a line, a lone \r starts it over, escapes are consumed.
    function write(chunk) {
      const s = carry + chunk;
      carry = '';
      let i = 0;
      while (i < s.length) {
        if (pendingCr) {
          pendingCr = false;
          if (s.charCodeAt(i) !== 10) {
            if (line) {
              line.textContent = '';
            }
          }
        }
        SPECIAL.lastIndex = i;
        const m = SPECIAL.exec(s);
        const stop = m ? m.index : s.length;
        append(s.slice(i, stop));
        if (!m) {
          break;
        }
        i = stop;
        const c = s.charCodeAt(i);
        if (c === 10) {
          openLine();
          line = null;
          i++;
        } else if (c === 13) {
          pendingCr = true;
          i++;
        } else if (c === 27) {
          i = escape(s, i);
          if (i < 0) {
            break;
          }
        } else {
          i++; // another control character: dropped
        }
      }
    }

    // Consumes the escape sequence at s[i]; -1 when it is cut off at the end of this chunk.
    function escape(s, i) {
      for (const re of [CSI, OSC, ESC]) {
        re.lastIndex = i;
        const m = re.exec(s);
        if (m) {
          if (re === CSI && m[3] === 'm' && m[2] === '' && /^[0-9;:]*$/.test(m[1])) {
            sgr(m[1]);
          }
          return re.lastIndex;
        }
      }
      PARTIAL.lastIndex = i;
      if (PARTIAL.test(s) && s.length - i < 256) {
        carry = s.slice(i);
        return -1;
      }
      return i + 1;
    }

    function note(kind, message) {
      line = null;
      const div = document.createElement('div');
      div.className = 'line note ' + kind;
      div.textContent = message;
      out.appendChild(div);
    }

    return {
      output: (text) => schedule({ text }),
      notice: (kind, message) => schedule({ kind, message }),
      clear() {
        queue = [];
        out.replaceChildren();
        line = null;
        fg = -1;
        bg = -1;
        bold = false;
        carry = '';
        pendingCr = false;
        follow = true;
        jump.hidden = true;
      },
    };
  })();

  // ---- Resources: numbers and the last 60 s as small charts ----

  function formatBytes(n) {
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let u = 0;
    while (n >= 1024 && u < units.length - 1) {
      n /= 1024;
      u++;
    }
    return (u === 0 ? String(n) : n.toFixed(n < 10 ? 2 : 1)) + ' ' + units[u];
  }

  function chart(canvas, color, format, ceiling) {
    const samples = [];

    function draw() {
      const ratio = window.devicePixelRatio || 1;
      const w = Math.max(1, Math.round(canvas.clientWidth * ratio));
      const h = Math.max(1, Math.round(canvas.clientHeight * ratio));
      if (canvas.width !== w || canvas.height !== h) {
        canvas.width = w;
        canvas.height = h;
      }
      const g = canvas.getContext('2d');
      g.clearRect(0, 0, w, h);
      g.strokeStyle = 'rgba(110, 118, 129, .25)';
      g.lineWidth = 1;
      for (const y of [0.25, 0.5, 0.75]) {
        g.beginPath();
        g.moveTo(0, Math.round(h * y) + 0.5);
        g.lineTo(w, Math.round(h * y) + 0.5);
        g.stroke();
      }
      if (samples.length === 0) {
        return;
      }
      const top = ceiling(Math.max(...samples) * 1.15);
      const step = w / (SAMPLES - 1);
      const x0 = w - (samples.length - 1) * step;
      const pad = 2 * ratio;
      const y = (v) => h - pad - (v / top) * (h - 2 * pad);
      g.beginPath();
      samples.forEach((v, k) => (k === 0 ? g.moveTo(x0, y(v)) : g.lineTo(x0 + k * step, y(v))));
      g.lineWidth = 1.5 * ratio;
      g.strokeStyle = color;
      g.lineJoin = 'round';
      g.stroke();
      g.lineTo(w, h);
      g.lineTo(x0, h);
      g.closePath();
      g.globalAlpha = 0.18;
      g.fillStyle = color;
      g.fill();
      g.globalAlpha = 1;
      g.fillStyle = 'rgba(139, 148, 158, .9)';
      g.font = `${10 * ratio}px system-ui, sans-serif`;
      g.textBaseline = 'top';
      g.fillText(format(top), 4 * ratio, 3 * ratio);
    }

    new ResizeObserver(draw).observe(canvas);
    return {
      push(value) {
        samples.push(value);
        if (samples.length > SAMPLES) {
          samples.shift();
        }
        draw();
      },
    };
  }

  function niceCeiling(v) {
    if (!(v > 0)) {
      return 1;
    }
    const magnitude = Math.pow(10, Math.floor(Math.log10(v)));
    for (const m of [1, 2, 2.5, 5, 10]) {
      if (v <= m * magnitude) {
        return m * magnitude;
      }
    }
    return 10 * magnitude;
  }

  const resources = (() => {
    const cpuChart = chart($('cpu-chart'), '#58a6ff', (v) => `${v} %`, niceCeiling);
    const memoryChart = chart($('memory-chart'), '#bc8cff', (v) => formatBytes(v).replace(/\.0+ /, ' '), (v) => {
      const unit = Math.pow(1024, Math.max(0, Math.floor(Math.log(v) / Math.log(1024))));
      return niceCeiling(v / unit) * unit;
    });
    let latest = null;

    function show(stats) {
      $('cpu').textContent = `${stats.cpu_usage.toFixed(1)} %`;
      $('memory').textContent = formatBytes(stats.memory_usage);
      $('memory-limit').textContent = `limit ${formatBytes(stats.memory_limit)}`;
      $('net-rx').textContent = formatBytes(stats.network_rx);
      $('net-tx').textContent = formatBytes(stats.network_tx);
      $('disk-read').textContent = formatBytes(stats.block_read);
      $('disk-write').textContent = formatBytes(stats.block_write);
    }

    // stats are sent only when a value changed, so silence means "as before": one sample a second.
    setInterval(() => {
      if (latest) {
        cpuChart.push(latest.cpu_usage);
        memoryChart.push(latest.memory_usage);
      }
    }, 1000);

    return {
      update(stats) {
        const first = latest === null;
        latest = stats;
        show(stats);
        if (first) {
          cpuChart.push(stats.cpu_usage);
          memoryChart.push(stats.memory_usage);
        }
      },
      idle() {
        latest = null;
        $('cpu').textContent = '–';
        $('memory').textContent = '–';
      },
    };
  })();

  // ---- State, power buttons and the command line ----

  const badge = $('state');
  const buttons = Array.from(document.querySelectorAll('.power .btn'));
  const input = $('command');
  const send = $('send');
  let state = null;
  let busyTimer = 0;

  function connected() {
    return socket !== null && socket.readyState === WebSocket.OPEN;
  }

  // What this tab's token may do here, from GET /console/{id}/session. Null while unknown, and
  // then no control shows: the page fails closed (the daemon refuses what the token lacks either
  // way; this only keeps controls that cannot work out of sight).
  let permissions = null;
  let permissionsFor = null;

  function allowed(permission) {
    return permissions !== null && permissions.includes(permission);
  }

  function render() {
    const known = state ? STATES[state] : null;
    const live = connected() && known !== null;
    for (const b of buttons) {
      b.hidden = !allowed(`power.${b.dataset.action}`);
    }
    $('command-form').hidden = !allowed('command');
    badge.dataset.state = state || 'unknown';
    badge.textContent = known ? known.label : 'Unknown';
    badge.classList.toggle('stale', !connected());
    for (const b of buttons) {
      b.disabled = !live || busyTimer !== 0 || !known.actions.includes(b.dataset.action);
    }
    input.disabled = !live || !known.input;
    send.disabled = input.disabled;
    document.title = `${serverId} · ${known ? known.label : 'lightd'} · lightd console`;
  }

  function setState(next) {
    if (!STATES[next]) {
      return;
    }
    const was = state;
    state = next;
    clearTimeout(busyTimer);
    busyTimer = 0;
    if ((next === 'exit' || next === 'installed' || next === 'installing') && was !== next) {
      resources.idle();
    }
    render();
  }

  function sendEvent(event) {
    if (connected()) {
      socket.send(JSON.stringify(event));
      return true;
    }
    return false;
  }

  for (const b of buttons) {
    b.addEventListener('click', () => {
      if (sendEvent({ event: 'power', action: b.dataset.action })) {
        // Until the daemon answers (a state event or an error), one click is enough.
        busyTimer = setTimeout(() => {
          busyTimer = 0;
          render();
        }, 3000);
        render();
      }
    });
  }

  const commands = [];
  let recall = 0;
  let draft = '';

  $('command-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const command = input.value;
    if (!sendEvent({ event: 'send_command', command: command + '\n' })) {
      return;
    }
    term.notice('sent', command);
    if (command && commands[commands.length - 1] !== command) {
      commands.push(command);
      if (commands.length > MAX_COMMANDS) {
        commands.shift();
      }
    }
    recall = commands.length;
    draft = '';
    input.value = '';
  });

  input.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowUp' && recall > 0) {
      if (recall === commands.length) {
        draft = input.value;
      }
      recall--;
      input.value = commands[recall];
    } else if (e.key === 'ArrowDown' && recall < commands.length) {
      recall++;
      input.value = recall === commands.length ? draft : commands[recall];
    } else {
      return;
    }
    e.preventDefault();
    input.setSelectionRange(input.value.length, input.value.length);
  });

  // ---- The connection: history first, then live; backoff on drops; a new token when refused ----

  const link = $('link');
  const auth = $('auth');
  let socket = null;
  let attempt = 0;
  let retryTimer = 0;
  let awaitingHistory = false;
  let held = [];
  let historyTimer = 0;
  let stateTimer = 0;

  function setLink(kind, text) {
    link.dataset.link = kind;
    link.textContent = text;
  }

  // Asks the daemon what the token may do on this server, once per token, before the WebSocket
  // opens. Until a 200 answers, the controls stay hidden and a notice says so; an unreachable
  // daemon or any other failure (5xx, 429, a garbled answer) is asked again with backoff, while the
  // console itself goes on. A 401 or 403 is not retried: the WebSocket's own refusal (401/403
  // before the upgrade) follows, which the page already explains.
  const permissionsNotice = $('permissions-notice');
  let permissionsAskedFor = null;
  let permissionsAttempt = 0;
  let permissionsTimer = 0;
  let permissionsPending = null;

  function learnPermissions() {
    if (permissionsFor === token && permissions !== null) {
      return Promise.resolve();
    }
    if (permissionsPending !== null && permissionsAskedFor === token) {
      return permissionsPending;
    }
    clearTimeout(permissionsTimer);
    permissionsTimer = 0;
    if (permissionsAskedFor !== token) {
      permissionsAskedFor = token;
      permissionsAttempt = 0;
      permissions = null;
      permissionsFor = null;
    }
    const asked = token;
    const pending = askPermissions(asked).finally(() => {
      if (permissionsPending === pending) {
        permissionsPending = null;
      }
    });
    permissionsPending = pending;
    return pending;
  }

  async function askPermissions(asked) {
    let outcome = 'failed';
    let known = null;
    try {
      const r = await fetch(`${base}console/${encodeURIComponent(serverId)}/session`, {
        cache: 'no-store',
        headers: { Authorization: `Bearer ${asked}` },
      });
      if (r.ok) {
        const session = await r.json();
        if (Array.isArray(session.permissions)) {
          outcome = 'known';
          known = session.permissions.map(String);
        }
      } else if (r.status === 401 || r.status === 403) {
        outcome = 'refused';
      }
    } catch (e) {
      // Unreachable or a garbled answer: asked again below.
    }
    if (token !== asked) {
      return; // another token meanwhile: its own request decides
    }
    if (outcome === 'known') {
      permissions = known;
      permissionsFor = asked;
      permissionsAttempt = 0;
      permissionsNotice.hidden = true;
    } else if (outcome === 'refused') {
      permissionsNotice.hidden = true;
    } else {
      const delay = Math.min(30000, 1000 * 2 ** permissionsAttempt) * (0.75 + Math.random() / 2);
      permissionsAttempt = Math.min(permissionsAttempt + 1, 10);
      permissionsNotice.textContent = 'Could not learn what this token may do here; controls stay hidden. '
        + `Asking again in ${Math.max(1, Math.round(delay / 1000))} s…`;
      permissionsNotice.hidden = false;
      permissionsTimer = setTimeout(() => {
        permissionsTimer = 0;
        if (token === asked) {
          learnPermissions();
        }
      }, delay);
    }
    render();
  }

  async function connect() {
    clearTimeout(retryTimer);
    if (!token) {
      askForToken('Enter a token to open this console.');
      return;
    }
    setLink('connecting', 'Connecting…');
    await learnPermissions();
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const url = `${scheme}//${location.host}${base}ws/${encodeURIComponent(serverId)}`
      + `?token=${encodeURIComponent(token)}`;
    const ws = new WebSocket(url);
    let opened = false;
    socket = ws;
    ws.onopen = () => {
      if (socket !== ws) {
        return;
      }
      opened = true;
      attempt = 0;
      setLink('open', 'Live');
      term.clear();
      term.notice('local', `Connected to ${serverId}`);
      state = null;
      awaitingHistory = true;
      held = [];
      ws.send(JSON.stringify({ event: 'request_logs' }));
      historyTimer = setTimeout(releaseHeld, HISTORY_WAIT_MS);
      stateTimer = setTimeout(() => {
        if (state === null) {
          term.notice('local', `No container "${serverId}" on this daemon yet; it shows here once it is created.`);
        }
      }, HISTORY_WAIT_MS);
      render();
    };
    ws.onmessage = (e) => {
      if (socket === ws && typeof e.data === 'string') {
        receive(e.data);
      }
    };
    ws.onclose = (e) => {
      if (socket === ws) {
        socket = null;
        closed(e.code, opened);
      }
    };
  }

  function receive(text) {
    let m;
    try {
      m = JSON.parse(text);
    } catch (e) {
      return;
    }
    switch (m.event) {
      case 'console':
        if (awaitingHistory) {
          held.push({ text: m.data });
        } else {
          term.output(m.data);
        }
        break;
      case 'logs':
        if (awaitingHistory) {
          // Output that arrived before the history is part of it.
          awaitingHistory = false;
          clearTimeout(historyTimer);
          term.output(m.data);
          held.filter((h) => h.text === undefined).forEach((h) => term.notice(h.kind, h.message));
          held = [];
        } else {
          term.output(m.data);
        }
        break;
      case 'daemon_message': {
        const kind = String(m.data).startsWith('Error:') ? 'error' : 'daemon';
        if (awaitingHistory) {
          held.push({ kind, message: m.data });
        } else {
          term.notice(kind, m.data);
        }
        clearTimeout(busyTimer);
        busyTimer = 0;
        render();
        break;
      }
      case 'event':
        setState(m.data);
        break;
      case 'stats':
        resources.update(m);
        break;
      default:
        break; // 'console duplicate' repeats 'console' for older clients
    }
  }

  function releaseHeld() {
    awaitingHistory = false;
    held.forEach((h) => (h.text !== undefined ? term.output(h.text) : term.notice(h.kind, h.message)));
    held = [];
  }

  function closed(code, opened) {
    clearTimeout(historyTimer);
    clearTimeout(stateTimer);
    if (awaitingHistory) {
      releaseHeld();
    }
    resources.idle();
    render();
    if (code === CLOSE_TOKEN_EXPIRED || code === CLOSE_TOKEN_REVOKED) {
      const why = code === CLOSE_TOKEN_EXPIRED ? 'expired' : 'was revoked';
      term.notice('error', `Disconnected: the token ${why}.`);
      rememberToken(null);
      forgetPermissions();
      askForToken(`The token ${why}. Enter a new one to reconnect.`);
      return;
    }
    if (!opened) {
      // A refused upgrade looks like any failed connection to a page; the daemon's public ping
      // tells "refused" (token, origin, connection limit) from "unreachable".
      fetch(`${base}api/v1/public/ping`, { cache: 'no-store' })
        .then((r) => (r.ok ? refused() : retry()))
        .catch(retry);
      return;
    }
    term.notice('local', 'Connection lost.');
    retry();
  }

  function refused() {
    setLink('closed', 'Refused');
    askForToken('The daemon refused the connection: the token is invalid, expired or not for this server '
      + '(or too many consoles are open). Enter a token to try again.');
  }

  function retry() {
    const delay = Math.min(30000, 1000 * 2 ** attempt) * (0.75 + Math.random() / 2);
    attempt = Math.min(attempt + 1, 10);
    setLink('retry', `Reconnecting in ${Math.max(1, Math.round(delay / 1000))} s…`);
    retryTimer = setTimeout(connect, delay);
  }

  // The token is gone: what it could do is unknown again, and no longer asked about.
  function forgetPermissions() {
    clearTimeout(permissionsTimer);
    permissionsTimer = 0;
    permissions = null;
    permissionsFor = null;
    permissionsAskedFor = null;
    permissionsNotice.hidden = true;
    render();
  }

  function askForToken(reason) {
    clearTimeout(retryTimer);
    setLink('closed', token ? 'Refused' : 'Token needed');
    $('auth-reason').textContent = reason;
    auth.hidden = false;
    $('auth-token').focus();
  }

  $('auth-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const value = $('auth-token').value.trim();
    if (!value) {
      return;
    }
    $('auth-token').value = '';
    auth.hidden = true;
    rememberToken(value);
    attempt = 0;
    connect();
  });

  $('server-id').textContent = serverId;
  render();
  connect();
})();
