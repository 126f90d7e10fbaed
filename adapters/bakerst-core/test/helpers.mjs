// Test helpers: the real hooks service (`bakerst-hardened hooks serve`) and the fixture brain under the preload,
// each a child process on loopback.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const HERE = dirname(fileURLToPath(import.meta.url));
export const PACKAGE = resolve(HERE, '..');
export const REPO = resolve(PACKAGE, '../..');
export const REGISTER = join(PACKAGE, 'register.mjs');
export const FIXTURE = join(HERE, 'fixture-brain');
export const BRAIN_MAIN = join(FIXTURE, 'services/brain/dist/index.js');
export const CLI = process.env.BAKERST_HARDENED_CLI ?? join(REPO, '.venv/bin/bakerst-hardened');
export const HAVE_SERVICE = existsSync(CLI);
export const SKIP_SERVICE = HAVE_SERVICE ? false : `the hooks service CLI is not at ${CLI} (run scripts/bootstrap)`;

export const TOKENS = {
  T_APP: 'app-token-0123456789abcdef',
  T_ALICE: 'alice-token-0123456789abcdef',
};

/** The fixture's `@bakerst/shared`, linked into its node_modules as a pnpm workspace links it. */
export function linkShared() {
  const dir = join(FIXTURE, 'node_modules/@bakerst');
  const link = join(dir, 'shared');
  if (!existsSync(link)) {
    mkdirSync(dir, { recursive: true });
    symlinkSync('../../packages/shared', link, 'dir');
  }
}

export function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export const GUARDRAILS = {
  approval: { level: 'high', timeout_seconds: 4 },
  tools: {
    search: {
      schema: { type: 'object', properties: { query: { type: 'string', maxLength: 500 } }, required: ['query'] },
    },
    fetch_page: {
      schema: { type: 'object', properties: { url: { type: 'string' } }, required: ['url'] },
    },
    send_money: {
      risk: 'high',
      schema: {
        type: 'object',
        properties: { amount: { type: 'number' }, to: { type: 'string' } },
        required: ['amount'],
      },
    },
  },
};

export function serviceConfig(dir, { perUser = 1000, dailyUsd = '50', approvalTimeout = 4 } = {}) {
  const guardrails = structuredClone(GUARDRAILS);
  guardrails.approval.timeout_seconds = approvalTimeout;
  return {
    service: {
      auditKeys: join(dir, 'keys'),
      createAuditKeys: true,
      auth: { applicationTokenEnv: 'T_APP', approvers: [{ name: 'alice', tokenEnv: 'T_ALICE' }] },
      approvals: { pollIntervalMs: 50 },
    },
    audit: {
      flushIntervalSeconds: 0.2,
      spoolDir: join(dir, 'spool'),
      sinks: [{ type: 'file', path: join(dir, 'trail.jsonl') }],
    },
    governance: {
      rateLimits: { perUserPerMinute: perUser, globalPerMinute: 10000 },
      budgets: { dailyUsd, monthlyUsd: '1000' },
      models: {
        big: { inputUsdPerMtok: '3', outputUsdPerMtok: '15', fallback: 'small' },
        small: { inputUsdPerMtok: '0.5', outputUsdPerMtok: '1' },
      },
      alerts: { log: false },
    },
    guardrails,
  };
}

function waitForExit(child, ms) {
  return new Promise((ok) => {
    if (child.exitCode !== null || child.signalCode !== null) return ok(true);
    const t = setTimeout(() => ok(false), ms);
    child.once('exit', () => {
      clearTimeout(t);
      ok(true);
    });
  });
}

/** `bakerst-hardened hooks serve` on a free loopback port; resolves once /healthz answers. */
export async function startService(options = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'bakerst-hooks-'));
  const config = join(dir, 'hooks.json'); // JSON is YAML
  writeFileSync(config, JSON.stringify(serviceConfig(dir, options), null, 2));
  const port = options.port ?? (await freePort());
  const child = spawn(CLI, ['hooks', 'serve', '--config', config, '--port', String(port)], {
    env: { ...process.env, ...TOKENS },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the hooks service exited: ${stderr}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`the hooks service did not start: ${stderr}`);
    await sleep(100);
  }
  return {
    url,
    dir,
    child,
    trail: join(dir, 'trail.jsonl'),
    keys: join(dir, 'keys'),
    stderr: () => stderr,
    records() {
      if (!existsSync(this.trail)) return [];
      return readFileSync(this.trail, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
    },
    /** SIGTERM (graceful: final checkpoint), SIGKILL after 20 s. */
    async stop(signal = 'SIGTERM') {
      child.kill(signal);
      if (!(await waitForExit(child, 20_000))) {
        child.kill('SIGKILL');
        await waitForExit(child, 5_000);
      }
    },
    async api(path, { method = 'GET', token = TOKENS.T_ALICE, body } = {}) {
      const res = await fetch(url + path, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, body: await res.json() };
    },
  };
}

/** The fixture brain under the preload (NODE_OPTIONS=--import=register.mjs), pointed at `serviceUrl`. */
export async function startBrain(serviceUrl, env = {}) {
  linkShared();
  // as upstream's entrypoint: `node --import <instrument.js> index.js`, the preload coming in through NODE_OPTIONS
  const args = env.FIXTURE_INSTRUMENT ? ['--import', join(FIXTURE, 'services/brain/dist/instrument.js')] : [];
  const child = spawn(process.execPath, [...args, BRAIN_MAIN], {
    env: {
      ...process.env,
      NODE_OPTIONS: `--import=${REGISTER}`,
      BAKERST_HOOKS_URL: serviceUrl,
      BAKERST_HOOKS_TOKEN: TOKENS.T_APP,
      BAKERST_HOOKS_TIMEOUT_MS: '3000',
      BAKERST_HOOKS_BEFORE_TIMEOUT_MS: '15000',
      BAKERST_HOOKS_AUDIT_FLUSH_MS: '100',
      PORT: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const port = await new Promise((ok, fail) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /listening (\d+)/.exec(out);
      if (m) ok(Number(m[1]));
    });
    child.once('exit', (code) => fail(new Error(`the fixture brain exited (${code}): ${stderr}`)));
  });
  const url = `http://127.0.0.1:${port}`;
  const auth = env.AUTH_TOKEN ? { authorization: `Bearer ${env.AUTH_TOKEN}` } : {};
  const post = async (path, body, headers = {}) => {
    const res = await fetch(url + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...auth, ...headers },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: await res.json() };
  };
  return {
    url,
    child,
    stderr: () => stderr,
    post,
    /** One conversation: the scripted model asks for `calls`, then answers with the tool results (parsed). */
    async chat(calls, extra = {}) {
      const { status, body } = await post('/chat', { message: JSON.stringify({ calls, ...extra }) });
      if (status !== 200) return { status, body, results: undefined };
      return { status, body, results: JSON.parse(body.response) };
    },
    async state() {
      return (await fetch(`${url}/debug/state`, { headers: auth })).json();
    },
    async flush() {
      return (await post('/debug/flush', {})).body;
    },
    async stop() {
      child.kill('SIGTERM');
      await waitForExit(child, 10_000);
    },
  };
}

/** Poll the service's pending approvals until `count` are there. */
export async function waitForPending(service, count = 1, ms = 10_000) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const { body } = await service.api('/v1/approvals');
    if (body.approvals.length >= count) return body.approvals;
    await sleep(50);
  }
  throw new Error('no pending approval appeared');
}

/** Run the project CLI (e.g. `audit verify`); resolves with {code, stdout, stderr}. */
export function runCli(args) {
  return new Promise((ok) => {
    const child = spawn(CLI, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => ok({ code, stdout, stderr }));
  });
}
