/** Adapter settings, read from the environment (the brain container's env). */

import { readFileSync } from 'node:fs';

export interface AdapterConfig {
  /** Base URL of the hooks service, e.g. `http://bakerst-hooks.bakerst.svc:8787`. Empty: every call fails closed. */
  url: string;
  /** The application bearer token (`service.auth.applicationTokenEnv` on the service side), or read from a file. */
  token: string;
  /** Timeout for `/v1/guardrail/before`; must exceed the service's approval timeout (a held call waits). */
  beforeTimeoutMs: number;
  /** Timeout for every other request (after, audit, admit, settle). */
  timeoutMs: number;
  /** Audit events kept in memory at most; more are dropped (and counted). */
  auditBufferSize: number;
  /** Events per `/v1/audit/events` request at most (the service takes up to 1000). */
  auditBatchSize: number;
  /** How long an event may wait before its batch is sent. */
  auditFlushMs: number;
  /** The user id the LLM governor admits calls for (upstream's ModelRouter does not know the user). */
  llmUserId: string;
}

export const ENV = {
  url: 'BAKERST_HOOKS_URL',
  token: 'BAKERST_HOOKS_TOKEN',
  tokenFile: 'BAKERST_HOOKS_TOKEN_FILE',
  beforeTimeoutMs: 'BAKERST_HOOKS_BEFORE_TIMEOUT_MS',
  timeoutMs: 'BAKERST_HOOKS_TIMEOUT_MS',
  auditBufferSize: 'BAKERST_HOOKS_AUDIT_BUFFER',
  auditBatchSize: 'BAKERST_HOOKS_AUDIT_BATCH',
  auditFlushMs: 'BAKERST_HOOKS_AUDIT_FLUSH_MS',
  llmUserId: 'BAKERST_HOOKS_LLM_USER',
} as const;

export const DEFAULTS: Omit<AdapterConfig, 'url' | 'token'> = {
  beforeTimeoutMs: 330_000, // the service's default approval timeout is 300 s
  timeoutMs: 5_000,
  auditBufferSize: 10_000,
  auditBatchSize: 200,
  auditFlushMs: 500,
  llmUserId: 'brain',
};

function positiveInt(env: NodeJS.ProcessEnv, name: string, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0 || value > max) {
    throw new Error(`${name} must be a positive integer (at most ${max}), not ${JSON.stringify(raw)}`);
  }
  return value;
}

function tokenFrom(env: NodeJS.ProcessEnv): string {
  const direct = (env[ENV.token] ?? '').trim();
  const file = (env[ENV.tokenFile] ?? '').trim();
  if (direct || !file) return direct;
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (err) {
    throw new Error(`${ENV.tokenFile}: cannot read ${file} (${(err as Error).message})`);
  }
}

/** The config from `env`; throws, naming the variable, on a malformed number. */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): AdapterConfig {
  return {
    url: (env[ENV.url] ?? '').trim().replace(/\/+$/, ''),
    token: tokenFrom(env),
    beforeTimeoutMs: positiveInt(env, ENV.beforeTimeoutMs, DEFAULTS.beforeTimeoutMs),
    timeoutMs: positiveInt(env, ENV.timeoutMs, DEFAULTS.timeoutMs),
    auditBufferSize: positiveInt(env, ENV.auditBufferSize, DEFAULTS.auditBufferSize),
    auditBatchSize: positiveInt(env, ENV.auditBatchSize, DEFAULTS.auditBatchSize, 1000),
    auditFlushMs: positiveInt(env, ENV.auditFlushMs, DEFAULTS.auditFlushMs),
    llmUserId: (env[ENV.llmUserId] ?? '').trim() || DEFAULTS.llmUserId,
  };
}
