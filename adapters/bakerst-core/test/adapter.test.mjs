// The adapter against fake HTTP servers: fail-closed answers (unreachable, slow, garbage), the audit buffer
// (never throws, bounded, batches, retries), the governor (admit, downgrade, 429/503, settle, broken streams).
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';

import {
  BufferedAuditSink,
  HooksClient,
  HttpGuardrailHook,
  LlmAdmissionError,
  LlmGovernor,
  WITHHELD_PREFIX,
  configFromEnv,
} from '../dist/index.js';
import { freePort, sleep } from './helpers.mjs';

/** A fake hooks service: `handler(path, body)` -> {status, body (object or raw string), delayMs, headers}. */
async function fake(handler) {
  const requests = [];
  const server = createServer(async (req, res) => {
    let text = '';
    for await (const chunk of req) text += chunk;
    const body = text ? JSON.parse(text) : undefined;
    requests.push({ path: req.url, body, auth: req.headers.authorization, replay: req.headers['x-audit-replay'] });
    const answer = (await handler(req.url, body, requests.length)) ?? {};
    if (answer.delayMs) await sleep(answer.delayMs);
    if (answer.destroy) return req.socket.destroy();
    res.writeHead(answer.status ?? 200, { 'content-type': 'application/json', ...(answer.headers ?? {}) });
    res.end(typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body ?? {}));
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const url = `http://127.0.0.1:${server.address().port}`;
  return { url, requests, close: () => new Promise((ok) => server.closeAllConnections() ?? server.close(ok)) };
}

const servers = [];
after(() => Promise.all(servers.map((s) => s.close())));

async function adapterFor(handler, env = {}) {
  const server = await fake(handler);
  servers.push(server);
  const config = configFromEnv({
    BAKERST_HOOKS_URL: server.url,
    BAKERST_HOOKS_TOKEN: 'tok',
    BAKERST_HOOKS_TIMEOUT_MS: '300',
    BAKERST_HOOKS_BEFORE_TIMEOUT_MS: '300',
    ...env,
  });
  const client = new HooksClient(config);
  return { server, config, client, guardrail: new HttpGuardrailHook(client) };
}

const ctx = () => ({ conversationId: 'c1', toolName: 'search', toolInput: { query: 'q' } });

describe('guardrail hook', () => {
  test('passes the decision through, with the bearer token and the callId from before to after', async () => {
    const { server, guardrail } = await adapterFor((path) =>
      path.endsWith('/before')
        ? { body: { allow: true, callId: 'call-1' } }
        : { body: { result: 'clean', withheld: false, redactions: {} } },
    );
    const c = ctx();
    assert.deepEqual(await guardrail.beforeToolExecution(c), { allow: true });
    assert.equal(await guardrail.afterToolExecution(c, 'raw'), 'clean');
    assert.equal(server.requests[0].auth, 'Bearer tok');
    assert.deepEqual(server.requests[0].body, { conversationId: 'c1', toolName: 'search', toolInput: { query: 'q' } });
    assert.deepEqual(server.requests[1].body, {
      context: { conversationId: 'c1', toolName: 'search', toolInput: { query: 'q' }, callId: 'call-1' },
      result: 'raw',
    });
  });

  test('a deny keeps the reason (or names the rule)', async () => {
    const { guardrail } = await adapterFor(() => ({ body: { allow: false, rule: 'schema', callId: 'x' } }));
    assert.deepEqual(await guardrail.beforeToolExecution(ctx()), { allow: false, reason: 'refused by schema' });
  });

  const failures = {
    'the service is unreachable': async () => {
      const port = await freePort();
      return new HttpGuardrailHook(
        new HooksClient(configFromEnv({ BAKERST_HOOKS_URL: `http://127.0.0.1:${port}`, BAKERST_HOOKS_TIMEOUT_MS: '300' })),
      );
    },
    'no service is configured': async () => new HttpGuardrailHook(new HooksClient(configFromEnv({}))),
    'the service is slow past the timeout': async () => (await adapterFor(() => ({ delayMs: 1000, body: { allow: true, callId: 'x' } }))).guardrail,
    'the service answers something that is not JSON': async () => (await adapterFor(() => ({ body: '<html>oops</html>' }))).guardrail,
    'the service answers the wrong shape': async () =>
      (await adapterFor(() => ({ body: { allow: 'yes', callId: 'x', result: 42, withheld: 'no' } }))).guardrail,
    'the service answers HTTP 500': async () => (await adapterFor(() => ({ status: 500, body: { error: 'internal_error', message: 'x' } }))).guardrail,
    'the service resets the connection': async () => (await adapterFor(() => ({ destroy: true }))).guardrail,
  };
  for (const [name, make] of Object.entries(failures)) {
    test(`fails closed when ${name}`, async () => {
      const guardrail = await make();
      const started = Date.now();
      const verdict = await guardrail.beforeToolExecution(ctx());
      assert.equal(verdict.allow, false);
      assert.match(verdict.reason, /hooks service .*refused/);
      const result = await guardrail.afterToolExecution(ctx(), 'SECRET RAW RESULT');
      assert.equal(typeof result, 'string');
      assert.ok(result.startsWith(WITHHELD_PREFIX), result);
      assert.doesNotMatch(result, /SECRET RAW RESULT/);
      assert.ok(Date.now() - started < 2_000, 'bounded by the timeouts');
    });
  }

  test('a non-string result for a string result is withheld', async () => {
    const { guardrail } = await adapterFor(() => ({ body: { result: { x: 1 }, withheld: false, redactions: {} } }));
    assert.ok(String(await guardrail.afterToolExecution(ctx(), 'raw')).startsWith(WITHHELD_PREFIX));
  });
});

describe('audit sink', () => {
  const event = (i) => ({
    timestamp: new Date().toISOString(),
    category: 'tool',
    action: 'executed',
    actor: 'agent',
    detail: { tool: `t${i}` },
  });

  test('emit never throws or blocks, even for events JSON cannot carry', async () => {
    const { client, config } = await adapterFor(() => ({ status: 202, body: { accepted: 1, recorded: [] } }));
    const sink = new BufferedAuditSink(client, config);
    const cyclic = event(0);
    cyclic.detail.self = cyclic;
    const started = process.hrtime.bigint();
    sink.emit(cyclic);
    sink.emit({ ...event(1), detail: { big: 10n } });
    sink.emit(undefined);
    assert.ok(process.hrtime.bigint() - started < 50_000_000n);
    assert.equal(sink.stats().dropped, 3);
    sink.close();
  });

  test('ships in batches of the configured size, in order, as upstream-shaped events', async () => {
    const { server, client, config } = await adapterFor(
      (_p, body) => ({ status: 202, body: { accepted: body.length, recorded: [] } }),
      { BAKERST_HOOKS_AUDIT_BATCH: '10', BAKERST_HOOKS_AUDIT_FLUSH_MS: '20' },
    );
    const sink = new BufferedAuditSink(client, config);
    for (let i = 0; i < 25; i++) sink.emit(event(i));
    const deadline = Date.now() + 5_000;
    while (sink.stats().sent < 25 && Date.now() < deadline) await sleep(20);
    assert.deepEqual(sink.stats(), { buffered: 0, sent: 25, dropped: 0, rejected: 0, failedAttempts: 0 });
    assert.deepEqual(server.requests.map((r) => r.body.length), [10, 10, 5]);
    assert.deepEqual(server.requests.flatMap((r) => r.body.map((e) => e.detail.tool)), [...Array(25).keys()].map((i) => `t${i}`));
    assert.deepEqual(Object.keys(server.requests[0].body[0]).sort(), ['action', 'actor', 'category', 'detail', 'timestamp']);
    sink.close();
  });

  test('the buffer is bounded: a full buffer drops new events and counts them', async () => {
    const port = await freePort();
    const config = configFromEnv({
      BAKERST_HOOKS_URL: `http://127.0.0.1:${port}`,
      BAKERST_HOOKS_AUDIT_BUFFER: '5',
      BAKERST_HOOKS_AUDIT_FLUSH_MS: '100000',
    });
    const sink = new BufferedAuditSink(new HooksClient(config), config);
    for (let i = 0; i < 8; i++) sink.emit(event(i));
    assert.deepEqual(sink.stats(), { buffered: 5, sent: 0, dropped: 3, rejected: 0, failedAttempts: 0 });
    assert.equal(await sink.flush(), false, 'nothing listens: the events stay buffered');
    assert.equal(sink.stats().buffered, 5);
    assert.equal(sink.stats().failedAttempts, 1);
    sink.close();
  });

  test('a batch whose outcome is unknown is resent alone, marked as a replay; the next one is not', async () => {
    const { server, client, config } = await adapterFor((_p, body, n) => {
      if (n === 1) return { destroy: true }; // the connection dies after the service read the batch
      return { status: 202, body: { accepted: body.length, recorded: [] } };
    }, { BAKERST_HOOKS_AUDIT_FLUSH_MS: '100000', BAKERST_HOOKS_AUDIT_BATCH: '3' });
    const sink = new BufferedAuditSink(client, config);
    for (let i = 0; i < 2; i++) sink.emit(event(i));
    assert.equal(await sink.flush(), false);
    for (let i = 2; i < 5; i++) sink.emit(event(i)); // arrive while the first attempt's outcome is unknown
    assert.equal(await sink.flush(), true);
    assert.equal(await sink.flush(), true);
    const sent = server.requests.map((r) => [r.body.map((e) => e.detail.tool).join(','), r.replay ?? '']);
    assert.deepEqual(sent, [['t0,t1', ''], ['t0,t1', 'true'], ['t2,t3,t4', '']]);
    sink.close();
  });

  test('a batch the service cannot take (503) is kept and retried; one it refuses (422) is dropped and counted', async () => {
    const { server, client, config } = await adapterFor((_p, body, n) => {
      if (n === 1) return { status: 503, body: { error: 'audit_unavailable', message: 'x', retryAfter: 1 } };
      if (body.some((e) => e.action === 'poison')) return { status: 422, body: { error: 'invalid_request', message: 'x' } };
      return { status: 202, body: { accepted: body.length, recorded: [] } };
    }, { BAKERST_HOOKS_AUDIT_FLUSH_MS: '100000' });
    const sink = new BufferedAuditSink(client, config);
    sink.emit(event(1));
    assert.equal(await sink.flush(), false);
    assert.equal(await sink.flush(), true);
    sink.emit({ ...event(2), action: 'poison' });
    assert.equal(await sink.flush(), true);
    assert.deepEqual(sink.stats(), { buffered: 0, sent: 1, dropped: 0, rejected: 1, failedAttempts: 1 });
    assert.equal(server.requests.length, 3);
    sink.close();
  });
});

describe('LLM governor', () => {
  class Router {
    constructor() {
      this.calls = [];
    }
    resolveModelDefinition(role, override) {
      return { id: override ?? 'big', provider: 'fixture' };
    }
    async chat(options) {
      this.calls.push(options.modelOverride ?? 'big');
      if (options.fail) throw new Error('provider down');
      return { content: [], stopReason: 'end_turn', usage: { inputTokens: 10, outputTokens: 3 } };
    }
    async *chatStream(options) {
      this.calls.push(options.modelOverride ?? 'big');
      yield { type: 'text_delta', text: 'a' };
      if (options.fail) throw new Error('stream broke');
      yield { type: 'text_delta', text: 'b' };
      yield { type: 'message_done', response: { usage: { inputTokens: 10, outputTokens: 3 } } };
    }
  }

  async function governed(admit) {
    const { server, client, config } = await adapterFor((path, body) =>
      path.endsWith('/admit') ? admit(body) : { body: { chargedMicroUsd: 1, source: 'usage', applied: true } },
    );
    const R = class extends Router {};
    const governor = new LlmGovernor(client, config);
    assert.equal(governor.wrap(R), true);
    assert.equal(governor.wrap(R), false, 'wrapping twice is a no-op');
    return { server, router: new R() };
  }
  const admitted = (model, requested = 'big') => ({
    body: { model, requestedModel: requested, downgraded: model !== requested, reservationId: 'r1', reservedMicroUsd: 5 },
  });

  test('admits, calls the model the service names (a downgrade), settles from usage', async () => {
    const { server, router } = await governed(() => admitted('small'));
    await router.chat({ role: 'agent', messages: [{ role: 'user', content: 'hi' }], maxTokens: 64 });
    assert.deepEqual(router.calls, ['small']);
    const [admit, settle] = server.requests;
    assert.equal(admit.path, '/v1/llm/admit');
    assert.equal(admit.body.userId, 'brain');
    assert.equal(admit.body.model, 'big');
    assert.equal(admit.body.maxOutputTokens, 64);
    assert.ok(admit.body.promptTokens >= 1);
    assert.deepEqual(settle.body, {
      reservationId: 'r1',
      outcome: 'completed',
      usage: { input_tokens: 10, output_tokens: 3 },
    });
  });

  for (const [status, code] of [[429, 'rate_limited'], [503, 'budget_exhausted']]) {
    test(`a ${status} is surfaced before any model call`, async () => {
      const { router } = await governed(() => ({
        status,
        headers: { 'retry-after': '7' },
        body: { error: code, message: 'no', retryAfter: 7 },
      }));
      await assert.rejects(router.chat({ messages: [] }), (err) => {
        assert.ok(err instanceof LlmAdmissionError);
        assert.equal(err.status, status);
        assert.equal(err.code, code);
        assert.equal(err.retryAfter, 7);
        return true;
      });
      assert.deepEqual(router.calls, []);
    });
  }

  test('an unreachable governor refuses the call (503)', async () => {
    const port = await freePort();
    const config = configFromEnv({ BAKERST_HOOKS_URL: `http://127.0.0.1:${port}` });
    const R = class extends Router {};
    new LlmGovernor(new HooksClient(config), config).wrap(R);
    const router = new R();
    await assert.rejects(router.chat({ messages: [] }), (err) => err instanceof LlmAdmissionError && err.status === 503);
    assert.deepEqual(router.calls, []);
  });

  test('a failed call, a broken stream and an abandoned stream settle as aborted', async () => {
    const { server, router } = await governed(() => admitted('big'));
    await assert.rejects(router.chat({ messages: [], fail: true }));
    await assert.rejects(async () => {
      for await (const _ of router.chatStream({ messages: [], fail: true })) void _;
    });
    for await (const _ of router.chatStream({ messages: [] })) break; // the consumer stops early
    for await (const _ of router.chatStream({ messages: [] })) void _;
    const settles = server.requests.filter((r) => r.path === '/v1/llm/settle').map((r) => r.body.outcome);
    assert.deepEqual(settles, ['aborted', 'aborted', 'aborted', 'completed']);
  });
});

describe('config', () => {
  test('defaults, and a malformed number is refused naming the variable', () => {
    const config = configFromEnv({ BAKERST_HOOKS_URL: 'http://svc:8787/' });
    assert.equal(config.url, 'http://svc:8787');
    assert.equal(config.beforeTimeoutMs, 330_000);
    assert.throws(() => configFromEnv({ BAKERST_HOOKS_TIMEOUT_MS: 'soon' }), /BAKERST_HOOKS_TIMEOUT_MS/);
    assert.throws(() => configFromEnv({ BAKERST_HOOKS_AUDIT_BATCH: '5000' }), /BAKERST_HOOKS_AUDIT_BATCH/);
    const dir = mkdtempSync(join(tmpdir(), 'token-'));
    writeFileSync(join(dir, 'token'), 'from-file\n');
    assert.equal(configFromEnv({ BAKERST_HOOKS_TOKEN_FILE: join(dir, 'token') }).token, 'from-file');
    assert.equal(configFromEnv({ BAKERST_HOOKS_TOKEN: 'direct', BAKERST_HOOKS_TOKEN_FILE: join(dir, 'token') }).token, 'direct');
    assert.throws(() => configFromEnv({ BAKERST_HOOKS_TOKEN_FILE: join(dir, 'absent') }), /BAKERST_HOOKS_TOKEN_FILE/);
  });
});
