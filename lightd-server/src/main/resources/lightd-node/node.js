// lightd's node page: every server of this daemon, live, from the admin node stream
// (/node/stream: one snapshot, then at most one batch of changes a second, as the README's "The node
// stream" describes it), and the REST routes to drive them. Text from the daemon is only ever inserted
// as text (textContent), never parsed as markup; the page's policy forbids it anyway.
(() => {
  'use strict';

  // The console page keeps its token under this key too: opening a console from here needs no second token.
  const TOKEN_KEY = 'lightd.console.token';
  const CLOSE_TOKEN_REVOKED = 4003;
  const ROW_PX = 38;
  const OVERSCAN = 8;
  const STATES = {
    installing: { label: 'Installing', rank: 2 },
    installed: { label: 'Installed', rank: 4 },
    starting: { label: 'Starting', rank: 1 },
    running: { label: 'Running', rank: 0 },
    stopping: { label: 'Stopping', rank: 3 },
    exit: { label: 'Stopped', rank: 5 },
  };
  const INSTALL = { installing: 'Installing', installed: 'Installed', failed: 'Failed' };
  const ACTIONS = [
    ['start', 'Start'], ['stop', 'Stop'], ['restart', 'Restart'], ['kill', 'Kill'],
    ['reinstall', 'Reinstall'], ['delete', 'Delete'],
  ];
  // The actions the daemon accepts for a server with this install state and state, and only those
  // (the hub's rules): start needs a finished install and no process; restart a finished install;
  // stop a starting or running process; kill a process, or an install under way (it ends the install,
  // which then counts as failed); reinstall anything but an install under way; delete always.
  function actionsFor(s) {
    const installing = s.install_state === 'installing' || s.state === 'installing';
    const installed = s.install_state === 'installed' && !installing;
    const active = s.state === 'starting' || s.state === 'running' || s.state === 'stopping';
    const allowed = new Set(['delete']);
    if (installed && !active) {
      allowed.add('start');
    }
    if (installed) {
      allowed.add('restart');
    }
    if (s.state === 'starting' || s.state === 'running') {
      allowed.add('stop');
    }
    if (active || installing) {
      allowed.add('kill');
    }
    if (!installing) {
      allowed.add('reinstall');
    }
    return allowed;
  }

  // Which create field a daemon error names: its texts start with the body's key.
  const FIELD_OF = [
    [/^internal_id\b/, 'internal_id'], [/^container .* already exists$/, 'internal_id'],
    [/^image\b/, 'image'], [/^startup_command\b/, 'startup_command'], [/^start_pattern\b/, 'start_pattern'],
    [/^stop_command\b/, 'stop_command'], [/^install_script\b/, 'install_script'], [/^env\b/, 'env'],
    [/^limits\.memory\b/, 'memory'], [/^limits\.cpu\b/, 'cpu'], [/^limits\.disk\b/, 'disk'],
    [/^limits\b/, 'memory'], [/^(ports?|each port|protocol)\b/, 'ports'], [/^stop_signal\b/, 'stop_signal'],
    [/^restart_policy\b/, 'restart_policy'], [/^tty\b/, 'tty'],
  ];

  const $ = (id) => document.getElementById(id);
  const base = location.pathname.slice(0, location.pathname.lastIndexOf('/') + 1);

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
      history.replaceState(null, '', location.pathname + (q ? '?' + q : '') + (h ? '#' + h : ''));
    }
    return found;
  }

  let token = null;

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

  const fromUrl = takeTokenFromUrl();
  if (fromUrl) {
    rememberToken(fromUrl);
  } else if (storage) {
    token = storage.getItem(TOKEN_KEY);
  }

  // ---- Formatting ----

  function formatBytes(n) {
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let u = 0;
    while (n >= 1024 && u < units.length - 1) {
      n /= 1024;
      u++;
    }
    return (u === 0 ? String(n) : n.toFixed(n < 10 ? 2 : 1)) + ' ' + units[u];
  }

  function formatDuration(seconds) {
    const d = Math.floor(seconds / 86400);
    const h = Math.floor((seconds % 86400) / 3600);
    const m = Math.floor((seconds % 3600) / 60);
    const s = Math.floor(seconds % 60);
    return d > 0 ? `${d}d ${h}h ${m}m` : h > 0 ? `${h}h ${m}m ${s}s` : m > 0 ? `${m}m ${s}s` : `${s}s`;
  }

  const number = new Intl.NumberFormat('en');
  // One collator for every comparison ("server-9" before "server-10"); localeCompare would build one per call.
  const collator = new Intl.Collator('en', { numeric: true });

  // ---- Node facts ----

  let uptimeAt = null;

  function showFacts(n) {
    $('fact-version').textContent = n.version;
    const runtime = $('fact-runtime');
    runtime.textContent = n.runtime;
    runtime.dataset.available = String(Boolean(n.runtime_available));
    $('fact-servers').textContent = `${number.format(n.servers_running)} of ${number.format(n.servers_total)}`;
    $('fact-sessions').textContent = number.format(n.websocket_sessions);
    $('fact-memory').textContent = n.host_memory_total > 0
      ? `${formatBytes(n.host_memory_free)} of ${formatBytes(n.host_memory_total)}` : '–';
    uptimeAt = { seconds: n.uptime_seconds, at: performance.now() };
    showUptime();
  }

  function showUptime() {
    if (uptimeAt) {
      $('fact-uptime').textContent = formatDuration(uptimeAt.seconds + (performance.now() - uptimeAt.at) / 1000);
    }
  }

  setInterval(showUptime, 1000);

  // ---- The list: a model of every server, a filtered and sorted view, and only the rows in sight ----

  const servers = new Map();
  const list = $('list');
  const rows = $('rows');
  const filter = $('filter');
  let view = [];
  let sortKey = 'internal_id';
  let sortDir = 1;
  let viewDirty = true;
  let frame = 0;
  let renderedOnce = false;

  function compare(a, b) {
    let x = a[sortKey];
    let y = b[sortKey];
    if (sortKey === 'state') {
      x = STATES[x] ? STATES[x].rank : 9;
      y = STATES[y] ? STATES[y].rank : 9;
    }
    if (x === null || x === undefined) {
      return y === null || y === undefined ? collator.compare(a.internal_id, b.internal_id) : 1;
    }
    if (y === null || y === undefined) {
      return -1;
    }
    const c = typeof x === 'number' ? x - y : collator.compare(String(x), String(y));
    return c !== 0 ? c * sortDir : collator.compare(a.internal_id, b.internal_id);
  }

  function matches(s, words) {
    if (words.length === 0) {
      return true;
    }
    const label = STATES[s.state] ? STATES[s.state].label : '';
    const text = `${s.internal_id} ${s.image} ${s.state} ${label} ${s.install_state}`.toLowerCase();
    return words.every((w) => text.includes(w));
  }

  function rebuildView() {
    const words = filter.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
    view = [];
    for (const s of servers.values()) {
      if (matches(s, words)) {
        view.push(s);
      }
    }
    view.sort(compare);
    viewDirty = false;
  }

  function schedule(dirtyView) {
    viewDirty = viewDirty || dirtyView;
    if (!frame) {
      frame = requestAnimationFrame(render);
    }
  }

  function cell(tr, cls, text) {
    const td = document.createElement('td');
    td.className = cls;
    td.textContent = text;
    tr.appendChild(td);
    return td;
  }

  function spacer(height) {
    const tr = document.createElement('tr');
    tr.className = 'spacer';
    tr.setAttribute('aria-hidden', 'true');
    const td = document.createElement('td');
    td.colSpan = 8;
    td.style.height = `${height}px`;
    tr.appendChild(td);
    return tr;
  }

  function row(s) {
    const tr = document.createElement('tr');
    tr.dataset.id = s.internal_id;
    tr.dataset.state = s.state;
    const id = cell(tr, 'id', s.internal_id);
    id.title = s.internal_id;
    cell(tr, 'image', s.image).title = s.image;
    const install = document.createElement('span');
    install.className = 'badge install';
    install.dataset.state = s.install_state;
    install.textContent = INSTALL[s.install_state] || s.install_state;
    cell(tr, 'install', '').appendChild(install);
    const state = document.createElement('span');
    state.className = 'badge';
    state.dataset.state = s.state;
    state.textContent = STATES[s.state] ? STATES[s.state].label : s.state;
    cell(tr, 'state', '').appendChild(state);
    cell(tr, 'num cpu', s.cpu_usage === null ? '–' : `${s.cpu_usage.toFixed(1)} %`);
    const limit = s.memory_limit === null ? 'no limit' : formatBytes(s.memory_limit);
    cell(tr, 'num memory', s.memory_usage === null ? `– / ${limit}` : `${formatBytes(s.memory_usage)} / ${limit}`);
    cell(tr, 'num consoles', String(s.consoles));
    const actions = cell(tr, 'actions', '');
    const open = document.createElement('a');
    open.className = 'btn console';
    open.href = `${base}console/${encodeURIComponent(s.internal_id)}`;
    open.textContent = 'Console';
    actions.appendChild(open);
    const allowed = actionsFor(s);
    for (const [action, label] of ACTIONS) {
      const b = document.createElement('button');
      b.type = 'button';
      b.className = `btn ${action}`;
      b.dataset.action = action;
      b.textContent = label;
      b.disabled = !allowed.has(action) || busy.has(s.internal_id);
      actions.appendChild(b);
    }
    return tr;
  }

  // The rows in the document, kept while their server and its busy mark are unchanged, so a batch
  // does not replace the button under the pointer.
  let rendered = new Map();

  function rowFor(s) {
    const isBusy = busy.has(s.internal_id);
    const kept = rendered.get(s.internal_id);
    if (kept && kept.s === s && kept.busy === isBusy) {
      return kept;
    }
    return { s, busy: isBusy, tr: row(s) };
  }

  function render() {
    frame = 0;
    if (viewDirty) {
      rebuildView();
    }
    const header = list.querySelector('thead').offsetHeight;
    const top = Math.max(0, list.scrollTop - header);
    const first = Math.max(0, Math.floor(top / ROW_PX) - OVERSCAN);
    const last = Math.min(view.length, Math.ceil((top + list.clientHeight) / ROW_PX) + OVERSCAN);
    const parts = [spacer(first * ROW_PX)];
    const next = new Map();
    for (let i = first; i < last; i++) {
      const r = rowFor(view[i]);
      next.set(view[i].internal_id, r);
      parts.push(r.tr);
    }
    rendered = next;
    parts.push(spacer((view.length - last) * ROW_PX));
    rows.replaceChildren(...parts);
    const shown = view.length === servers.size
      ? `${number.format(servers.size)} server${servers.size === 1 ? '' : 's'}`
      : `${number.format(view.length)} of ${number.format(servers.size)} servers`;
    $('count').textContent = shown;
    $('empty').hidden = !(connected && servers.size === 0);
    if (!renderedOnce && connected) {
      renderedOnce = true;
      performance.mark('lightd-node-first-render');
    }
  }

  list.addEventListener('scroll', () => schedule(false), { passive: true });
  new ResizeObserver(() => schedule(false)).observe(list);
  filter.addEventListener('input', () => schedule(true));

  for (const b of document.querySelectorAll('.sort')) {
    b.addEventListener('click', () => {
      if (sortKey === b.dataset.sort) {
        sortDir = -sortDir;
      } else {
        sortKey = b.dataset.sort;
        sortDir = 1;
      }
      for (const other of document.querySelectorAll('.sort')) {
        other.removeAttribute('aria-sort');
      }
      b.setAttribute('aria-sort', sortDir === 1 ? 'ascending' : 'descending');
      schedule(true);
    });
  }
  document.querySelector('.sort[data-sort="internal_id"]').setAttribute('aria-sort', 'ascending');

  // ---- Actions through REST, with the same token ----

  const busy = new Set();
  let noticeTimer = 0;

  function notice(text, ok) {
    const n = $('notice');
    n.textContent = text;
    n.classList.toggle('ok', Boolean(ok));
    n.hidden = false;
    clearTimeout(noticeTimer);
    noticeTimer = setTimeout(() => {
      n.hidden = true;
    }, 8000);
  }

  async function call(method, path, body) {
    const headers = { Authorization: `Bearer ${token}`, Accept: 'application/json' };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
    }
    const r = await fetch(`${base}${path}`, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store',
    });
    let json = {};
    try {
      json = await r.json();
    } catch (e) {
      json = {};
    }
    if (r.status === 401) {
      askForToken('The daemon refused the token. Enter the master token.');
    }
    return { status: r.status, ok: r.ok, body: json };
  }

  async function act(id, action, purge) {
    busy.add(id);
    schedule(false);
    try {
      const path = `containers/${encodeURIComponent(id)}`;
      const r = action === 'delete'
        ? await call('DELETE', purge ? `${path}?purge=true` : path)
        : await call('POST', `${path}/${action}`);
      if (!r.ok) {
        notice(`${id}: ${r.body.error || `${action} failed (${r.status})`}`);
      } else if (action === 'delete') {
        notice(`${id}: ${r.body.message || 'deleted'}`, true);
      }
    } catch (e) {
      notice(`${id}: ${action} failed: the daemon does not answer`);
    } finally {
      busy.delete(id);
      schedule(false);
    }
  }

  rows.addEventListener('click', (e) => {
    const b = e.target.closest('button[data-action]');
    if (!b || b.disabled) {
      return;
    }
    const id = b.closest('tr').dataset.id;
    if (b.dataset.action === 'delete') {
      confirmDelete(id);
    } else {
      act(id, b.dataset.action);
    }
  });

  // ---- Delete, confirmed ----

  let deleting = null;

  function confirmDelete(id) {
    deleting = id;
    $('confirm-id').textContent = id;
    $('confirm-purge').checked = false;
    $('confirm').hidden = false;
    $('confirm-cancel').focus();
  }

  $('confirm-cancel').addEventListener('click', () => {
    deleting = null;
    $('confirm').hidden = true;
  });

  $('confirm-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const id = deleting;
    deleting = null;
    $('confirm').hidden = true;
    if (id) {
      act(id, 'delete', $('confirm-purge').checked);
    }
  });

  // ---- Create: the create body's fields, the daemon's errors next to the field they name ----

  const form = $('create-form');

  function fieldError(name, text) {
    const p = form.querySelector(`.field-error[data-for="${name}"]`);
    const input = form.elements[name];
    if (p) {
      p.textContent = text;
    }
    if (input) {
      input.setAttribute('aria-invalid', text ? 'true' : 'false');
    }
    return p !== null;
  }

  function clearErrors() {
    for (const p of form.querySelectorAll('.field-error')) {
      fieldError(p.dataset.for, '');
    }
    $('create-error').textContent = '';
  }

  function value(name) {
    return form.elements[name].value;
  }

  // The form's text as the create body; problems of form (not of content) are found here.
  function createBody() {
    const problems = {};
    const body = {};
    for (const key of ['internal_id', 'image', 'startup_command']) {
      body[key] = value(key).trim();
    }
    for (const key of ['start_pattern', 'install_script']) {
      if (value(key) !== '') {
        body[key] = value(key);
      }
    }
    if (value('stop_command') !== '') {
      body.stop_command = value('stop_command').endsWith('\n') ? value('stop_command') : `${value('stop_command')}\n`;
    }
    const env = {};
    value('env').split('\n').map((l) => l.trim()).filter(Boolean).forEach((line) => {
      const eq = line.indexOf('=');
      if (eq <= 0) {
        problems.env = `"${line}" is not KEY=value`;
      } else {
        env[line.slice(0, eq)] = line.slice(eq + 1);
      }
    });
    if (Object.keys(env).length) {
      body.env = env;
    }
    const limits = {};
    if (value('memory').trim() !== '') {
      const mib = Number(value('memory').trim());
      if (Number.isNaN(mib)) {
        problems.memory = 'the memory limit must be a number of MiB';
      } else {
        limits.memory = Math.round(mib * 1048576);
      }
    }
    if (value('cpu').trim() !== '') {
      const cpu = Number(value('cpu').trim());
      if (Number.isNaN(cpu)) {
        problems.cpu = 'the CPU limit must be a number of cores';
      } else {
        limits.cpu = cpu;
      }
    }
    if (value('disk').trim() !== '') {
      const mib = Number(value('disk').trim());
      if (Number.isNaN(mib)) {
        problems.disk = 'the disk limit must be a number of MiB';
      } else {
        limits.disk = Math.round(mib * 1048576);
      }
    }
    if (Object.keys(limits).length) {
      body.limits = limits;
    }
    if (value('stop_signal') !== '') {
      body.stop_signal = value('stop_signal');
    }
    if (value('restart_policy') !== 'no') {
      const policy = { name: value('restart_policy') };
      for (const [key, name, what] of [['max_retries', 'max_retries', 'retries'],
        ['window_seconds', 'window_seconds', 'seconds']]) {
        const text = value(name).trim();
        if (text !== '') {
          const n = Number(text);
          if (!Number.isInteger(n)) {
            problems.restart_policy = `restart_policy.${key} must be a whole number of ${what}`;
          } else {
            policy[key] = n;
          }
        }
      }
      body.restart_policy = policy;
    }
    body.tty = form.elements.tty.checked;
    const ports = [];
    for (const spec of value('ports').split(/[\s,]+/).filter(Boolean)) {
      const m = /^(?:(.+):)?(\d+)(?:\/(\w+))?$/.exec(spec);
      if (!m) {
        problems.ports = `"${spec}" is not [ip:]port[/tcp|/udp]`;
        continue;
      }
      // An IPv6 address is written in brackets ([::1]:25565); the body takes it without them.
      const ip = m[1] && m[1].startsWith('[') && m[1].endsWith(']') ? m[1].slice(1, -1) : m[1];
      ports.push({ ip: ip || '0.0.0.0', port: Number(m[2]), protocol: m[3] || 'tcp' });
    }
    if (ports.length) {
      body.ports = ports;
    }
    return { body, problems };
  }

  function fieldOf(message) {
    for (const [re, field] of FIELD_OF) {
      if (re.test(message)) {
        return field;
      }
    }
    return null;
  }

  $('new-server').addEventListener('click', () => {
    clearErrors();
    $('create').hidden = false;
    form.elements.internal_id.focus();
  });

  $('create-cancel').addEventListener('click', () => {
    $('create').hidden = true;
  });

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors();
    const { body, problems } = createBody();
    const names = Object.keys(problems);
    if (names.length) {
      names.forEach((name) => fieldError(name, problems[name]));
      form.elements[names[0]].focus();
      return;
    }
    const submit = $('create-submit');
    submit.disabled = true;
    try {
      const r = await call('POST', 'containers', body);
      if (r.ok) {
        $('create').hidden = true;
        form.reset();
        notice(`${body.internal_id}: ${r.body.message || 'created'}`, true);
        return;
      }
      const message = r.body.error || `the daemon answered ${r.status}`;
      const field = fieldOf(message);
      if (field && fieldError(field, message)) {
        form.elements[field].focus();
      } else {
        $('create-error').textContent = message;
      }
    } catch (err) {
      $('create-error').textContent = 'The daemon does not answer.';
    } finally {
      submit.disabled = false;
    }
  });

  // ---- The node stream: snapshot, then batches; backoff on drops; a new token when refused ----

  const link = $('link');
  let socket = null;
  let connected = false;
  let attempt = 0;
  let retryTimer = 0;

  function setLink(kind, text) {
    link.dataset.link = kind;
    link.textContent = text;
  }

  function connect() {
    clearTimeout(retryTimer);
    if (!token) {
      askForToken('Enter the master token to see this node.');
      return;
    }
    setLink('connecting', 'Connecting…');
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(`${scheme}//${location.host}${base}node/stream?token=${encodeURIComponent(token)}`);
    let opened = false;
    socket = ws;
    ws.onopen = () => {
      if (socket === ws) {
        opened = true;
        attempt = 0;
        setLink('open', 'Live');
      }
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
    if (m.event === 'snapshot') {
      performance.mark('lightd-node-snapshot');
      servers.clear();
      for (const s of m.servers) {
        servers.set(s.internal_id, s);
      }
      connected = true;
      $('new-server').disabled = false;
    } else if (m.event === 'changes') {
      for (const s of m.servers) {
        servers.set(s.internal_id, s);
      }
      for (const id of m.removed) {
        servers.delete(id);
      }
    } else {
      return;
    }
    showFacts(m.node);
    schedule(true);
  }

  function closed(code, opened) {
    connected = false;
    $('new-server').disabled = true;
    if (code === CLOSE_TOKEN_REVOKED) {
      rememberToken(null);
      askForToken('The token was revoked. Enter the master token to reconnect.');
      return;
    }
    if (!opened) {
      // A refused upgrade looks like any failed connection to a page; the public ping tells
      // "refused" (not the master token, too many connections) from "unreachable".
      fetch(`${base}api/v1/public/ping`, { cache: 'no-store' })
        .then((r) => (r.ok ? askForToken('The daemon refused the token: the node page needs the master token '
          + '(or too many connections are open).') : retry()))
        .catch(retry);
      return;
    }
    retry();
  }

  function retry() {
    const delay = Math.min(30000, 1000 * 2 ** attempt) * (0.75 + Math.random() / 2);
    attempt = Math.min(attempt + 1, 10);
    setLink('retry', `Reconnecting in ${Math.max(1, Math.round(delay / 1000))} s…`);
    retryTimer = setTimeout(connect, delay);
  }

  function askForToken(reason) {
    clearTimeout(retryTimer);
    setLink('closed', token ? 'Refused' : 'Token needed');
    $('auth-reason').textContent = reason;
    $('auth').hidden = false;
    $('auth-token').focus();
  }

  $('auth-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const v = $('auth-token').value.trim();
    if (!v) {
      return;
    }
    $('auth-token').value = '';
    $('auth').hidden = true;
    rememberToken(v);
    attempt = 0;
    if (socket) {
      socket.close();
      socket = null;
    }
    connect();
  });

  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') {
      $('create').hidden = true;
      $('confirm').hidden = true;
      deleting = null;
    }
  });

  schedule(true);
  connect();
})();
