// Stand-in for upstream's api.ts: createApi with upstream's 16 parameters (audit sink last) and an app with
// listen(). Bearer auth as upstream's middleware (rejections audited as auth/rejected with the client address).
import { createServer } from 'node:http';

const discard = { emit() {} };

function send(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function readJson(req) {
  let text = '';
  for await (const chunk of req) text += chunk;
  return text ? JSON.parse(text) : {};
}

export function createApi(
  dispatcher,
  statusTracker,
  agent,
  memoryService,
  pluginRegistry,
  skillRegistry,
  mcpClient,
  modelRouter,
  nc,
  scheduleManager,
  stateMachine,
  startTime,
  taskPodManager,
  companionManager,
  extensionManager,
  auditSink,
) {
  const audit = auditSink ?? discard;

  function authorized(req, res, path) {
    const configured = process.env.AUTH_TOKEN;
    if (!configured || path === '/ping') return true;
    const header = req.headers.authorization;
    const reason = !header?.startsWith('Bearer ') ? 'missing_token' : header.slice(7) !== configured ? 'invalid_token' : '';
    if (!reason) return true;
    audit.emit({
      timestamp: new Date().toISOString(),
      category: 'auth',
      action: 'rejected',
      actor: req.socket.remoteAddress ?? 'unknown',
      detail: { path, reason },
    });
    send(res, 401, { error: 'unauthorized' });
    return false;
  }

  const server = createServer(async (req, res) => {
    const path = new URL(req.url, 'http://brain').pathname;
    if (!authorized(req, res, path)) return;
    try {
      if (path === '/ping') return send(res, 200, { status: 'ok' });
      if (path === '/chat' && req.method === 'POST') {
        const { message, conversationId } = await readJson(req);
        return send(res, 200, await agent.chat(message, { conversationId }));
      }
      if (path === '/chat/stream' && req.method === 'POST') {
        const { message, conversationId } = await readJson(req);
        const events = [];
        try {
          for await (const event of agent.chatStream(message, { conversationId })) events.push(event);
        } catch (err) {
          events.push({ type: 'error', message: String(err?.message ?? err) });
        }
        return send(res, 200, { events });
      }
      // test-only introspection: what the fixture was given and what its model router did
      if (path === '/debug/state') {
        return send(res, 200, {
          modelCalls: modelRouter.calls,
          apiCalls: modelRouter.apiCallLog ?? [],
          auditSinkPassed: auditSink !== undefined,
          moduleUrl: import.meta.url,
          instrumented: globalThis.__fixtureInstrumented ?? null,
          audit: typeof audit.stats === 'function' ? audit.stats() : null,
        });
      }
      if (path === '/debug/flush' && req.method === 'POST') {
        const flushed = typeof audit.flush === 'function' ? await audit.flush() : null;
        return send(res, 200, { flushed, audit: typeof audit.stats === 'function' ? audit.stats() : null });
      }
      return send(res, 404, { error: 'not_found' });
    } catch (err) {
      return send(res, 500, { error: String(err?.message ?? err), name: err?.name, status: err?.status });
    }
  });
  return { listen: (port, callback) => server.listen(port, '127.0.0.1', callback) };
}
