'use strict';
// A plain console broadcast server written the way a Node user would write it: Node's http
// module, the `ws` package, one child process per container, and a broadcast that calls
// JSON.stringify and send() for every client, for every event.
//
// It speaks the part of lightd's protocol that scripts/load uses:
//   GET    /api/v1/public/ping
//   POST   /containers                 {"internal_id", "startup_command", ...}  -> 202
//   GET    /containers/<id>            {"install_state", "state", ...}
//   POST   /containers/<id>/start|stop|restart|kill                             -> 202
//   DELETE /containers/<id>[?purge=true]                                        -> 200
//   WS     /ws/<id>?token=...          out: {"event":"console","data":...},
//                                           {"event":"console duplicate","data":...},
//                                           {"event":"event","data":<state>}
//                                      in:  {"event":"send_command","command":...}
// Any token is accepted. It listens on 127.0.0.1 only.
//
//   node server.js [--port N]        (default 0: a port chosen by the system)

const http = require('http');
const { spawn } = require('child_process');
const { StringDecoder } = require('string_decoder');
const { WebSocketServer, WebSocket } = require('ws');

const HOST = '127.0.0.1';
const PARTIAL_LINE_FLUSH_MS = 50;

let port = 0;
for (let i = 2; i < process.argv.length; i++) {
  if (process.argv[i] === '--port' && i + 1 < process.argv.length) {
    port = Number(process.argv[++i]);
  }
}

/** id -> { record, clients: Set<WebSocket>, child, pending, flushTimer } */
const containers = new Map();

function container(id) {
  let c = containers.get(id);
  if (!c) {
    c = { record: null, clients: new Set(), child: null, decoder: null, pending: '', flushTimer: null };
    containers.set(id, c);
  }
  return c;
}

function broadcast(c, event, data) {
  for (const client of c.clients) {
    if (client.readyState === WebSocket.OPEN) {
      client.send(JSON.stringify({ event, data }));
    }
  }
}

function consoleText(c, text) {
  broadcast(c, 'console', text);
  broadcast(c, 'console duplicate', text);
}

function setState(c, state) {
  c.record.state = state;
  c.record.updated_at = new Date().toISOString();
  broadcast(c, 'event', state);
}

// Complete lines go out at once; a trailing partial line (a prompt) after a short delay.
function onOutput(c, chunk) {
  c.pending += c.decoder.write(chunk);
  const newline = c.pending.lastIndexOf('\n');
  if (newline >= 0) {
    consoleText(c, c.pending.slice(0, newline + 1));
    c.pending = c.pending.slice(newline + 1);
  }
  if (c.pending.length > 0 && !c.flushTimer) {
    c.flushTimer = setTimeout(() => flushPartial(c), PARTIAL_LINE_FLUSH_MS);
  }
}

function flushPartial(c) {
  if (c.flushTimer) {
    clearTimeout(c.flushTimer);
    c.flushTimer = null;
  }
  if (c.pending.length > 0) {
    const text = c.pending;
    c.pending = '';
    consoleText(c, text);
  }
}

function start(c) {
  if (c.child) {
    return false;
  }
  setState(c, 'starting');
  // Its own process group, so that stopping it stops everything the command started.
  const child = spawn('/bin/sh', ['-c', c.record.startup_command], { detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
  c.child = child;
  c.decoder = new StringDecoder('utf8');
  child.stdout.on('data', (chunk) => onOutput(c, chunk));
  child.stderr.on('data', (chunk) => onOutput(c, chunk));
  child.stdin.on('error', () => {});
  child.on('exit', () => {
    if (c.child === child) {
      c.pending += c.decoder.end();
      flushPartial(c);
      c.child = null;
      if (c.record) {
        setState(c, 'exit');
      }
    }
  });
  setState(c, 'running');
  return true;
}

function stop(c, signal) {
  const child = c.child;
  if (!child) {
    return false;
  }
  if (c.record) {
    setState(c, 'stopping');
  }
  try {
    process.kill(-child.pid, signal);
  } catch (e) {
    // already gone
  }
  return true;
}

function sendJson(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function readBody(req, done) {
  const parts = [];
  req.on('data', (p) => parts.push(p));
  req.on('end', () => {
    const text = Buffer.concat(parts).toString('utf8');
    if (text.trim() === '') {
      done(null, {});
      return;
    }
    try {
      done(null, JSON.parse(text));
    } catch (e) {
      done(e);
    }
  });
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url, `http://${HOST}`);
  const path = url.pathname;
  if (path === '/api/v1/public/ping' && req.method === 'GET') {
    sendJson(res, 200, { status: 'ok', version: 'node-ws', runtime: 'process' });
    return;
  }
  if (path === '/containers' && req.method === 'POST') {
    readBody(req, (err, body) => {
      if (err || typeof body.internal_id !== 'string' || typeof body.startup_command !== 'string') {
        sendJson(res, 400, { error: 'internal_id and startup_command are required' });
        return;
      }
      const c = container(body.internal_id);
      if (c.record) {
        sendJson(res, 409, { error: `container ${body.internal_id} already exists` });
        return;
      }
      const now = new Date().toISOString();
      c.record = {
        internal_id: body.internal_id,
        image: body.image || '',
        startup_command: body.startup_command,
        install_state: 'installed',
        state: 'installed',
        created_at: now,
        updated_at: now,
      };
      broadcast(c, 'event', 'installed');
      sendJson(res, 202, { message: 'Container creation started', internal_id: body.internal_id, state: 'installing' });
    });
    return;
  }
  const m = /^\/containers\/([^/]+)(?:\/([^/]+))?$/.exec(path);
  if (!m) {
    sendJson(res, 404, { error: `no such route: ${path}` });
    return;
  }
  const id = decodeURIComponent(m[1]);
  const action = m[2];
  const c = containers.get(id);
  if (!c || !c.record) {
    sendJson(res, 404, { error: `unknown container ${id}` });
    return;
  }
  if (!action && req.method === 'GET') {
    sendJson(res, 200, c.record);
  } else if (!action && req.method === 'DELETE') {
    stop(c, 'SIGKILL');
    flushPartial(c);
    c.record = null;
    if (c.clients.size === 0) {
      containers.delete(id);
    }
    sendJson(res, 200, { message: url.searchParams.get('purge') === 'true' ? 'Container deleted and volume purged' : 'Container deleted' });
  } else if (action && req.method === 'POST') {
    req.resume();
    switch (action) {
      case 'start':
        start(c);
        break;
      case 'stop':
        stop(c, 'SIGTERM');
        break;
      case 'kill':
        stop(c, 'SIGKILL');
        break;
      case 'restart':
        if (c.child) {
          c.child.once('exit', () => start(c));
          stop(c, 'SIGTERM');
        } else {
          start(c);
        }
        break;
      default:
        sendJson(res, 404, { error: `no such route: ${path}` });
        return;
    }
    sendJson(res, 202, { message: `Power action ${action} accepted` });
  } else {
    sendJson(res, 405, { error: 'method not allowed' });
  }
});

const wss = new WebSocketServer({ noServer: true });

server.on('upgrade', (req, socket, head) => {
  const m = /^\/ws\/([^/?]+)/.exec(req.url);
  if (!m) {
    socket.destroy();
    return;
  }
  const id = decodeURIComponent(m[1]);
  wss.handleUpgrade(req, socket, head, (ws) => {
    const c = container(id);
    c.clients.add(ws);
    if (c.record) {
      ws.send(JSON.stringify({ event: 'event', data: c.record.state }));
    }
    ws.on('message', (message) => {
      let msg;
      try {
        msg = JSON.parse(message.toString());
      } catch (e) {
        ws.send(JSON.stringify({ event: 'daemon_message', data: 'Error: invalid JSON' }));
        return;
      }
      if (msg.event === 'send_command' && typeof msg.command === 'string') {
        const cur = containers.get(id);
        if (cur && cur.child) {
          cur.child.stdin.write(msg.command);
        }
      }
    });
    ws.on('close', () => {
      c.clients.delete(ws);
      if (!c.record && c.clients.size === 0 && containers.get(id) === c) {
        containers.delete(id);
      }
    });
    ws.on('error', () => {});
  });
});

function shutdown() {
  for (const c of containers.values()) {
    stop(c, 'SIGKILL');
  }
  process.exit(0);
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);

server.listen(port, HOST, () => {
  console.log(`node-ws: listening on ${HOST}:${server.address().port} (pid ${process.pid}, node ${process.version}, ws ${require('ws/package.json').version})`);
});
