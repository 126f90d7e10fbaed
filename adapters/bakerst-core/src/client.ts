/**
 * A typed client for the hooks service: one method per endpoint, each validating what comes back.
 *
 * Every failure is a {@link HooksError} saying what went wrong: `config` (no URL), `unreachable` (connection
 * refused or reset, including a service that dies mid-request), `timeout`, `http` (a non-2xx answer; `status`,
 * the service's `error` kind and `retryAfter` kept) or `garbage` (not JSON, or not the documented shape).
 * Callers decide what failing closed means for them.
 */

import type { AdapterConfig } from './config.js';

export type HooksErrorKind = 'config' | 'unreachable' | 'timeout' | 'http' | 'garbage';

export class HooksError extends Error {
  override readonly name = 'HooksError';
  constructor(
    readonly kind: HooksErrorKind,
    message: string,
    readonly status?: number,
    readonly code?: string,
    readonly retryAfter?: number,
  ) {
    super(message);
  }
}

/** `GuardrailContext` on the wire, plus the service's `callId` extension. */
export interface WireToolCall {
  conversationId: string;
  userId?: string;
  toolName: string;
  toolInput: unknown;
  callId?: string;
}

export interface BeforeAnswer {
  allow: boolean;
  reason?: string;
  rule?: string;
  approvalId?: string;
  callId: string;
}

export interface AfterAnswer {
  result: unknown;
  withheld: boolean;
  redactions: Record<string, number>;
}

export interface AuditAnswer {
  accepted: number;
}

export interface AdmitRequest {
  userId: string;
  model: string;
  promptTokens: number;
  maxOutputTokens?: number;
}

export interface AdmitAnswer {
  model: string;
  requestedModel: string;
  downgraded: boolean;
  reservationId: string;
  reservedMicroUsd: number;
}

export interface SettleRequest {
  reservationId: string;
  usage?: Record<string, number>;
  outcome: 'completed' | 'aborted' | 'not_sent';
}

export interface SettleAnswer {
  chargedMicroUsd: number;
  source: string;
  applied: boolean;
}

type Json = Record<string, unknown>;

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function garbage(path: string, what: string): HooksError {
  return new HooksError('garbage', `answered ${path} with ${what}`);
}

function str(body: Json, key: string, path: string, optional = false): string | undefined {
  const value = body[key];
  if (value === undefined || value === null) {
    if (optional) return undefined;
    throw garbage(path, `a body without a string "${key}"`);
  }
  if (typeof value !== 'string') throw garbage(path, `a non-string "${key}"`);
  return value;
}

function num(body: Json, key: string, path: string): number {
  const value = body[key];
  if (typeof value !== 'number' || !Number.isFinite(value)) throw garbage(path, `a body without a number "${key}"`);
  return value;
}

function bool(body: Json, key: string, path: string): boolean {
  const value = body[key];
  if (typeof value !== 'boolean') throw garbage(path, `a body without a boolean "${key}"`);
  return value;
}

function retryAfterOf(response: Response, body: unknown): number | undefined {
  const header = Number(response.headers.get('retry-after'));
  if (Number.isFinite(header) && header >= 0 && response.headers.has('retry-after')) return header;
  if (isRecord(body) && typeof body['retryAfter'] === 'number') return body['retryAfter'];
  return undefined;
}

export class HooksClient {
  constructor(private readonly config: AdapterConfig) {}

  /** POST `body` as JSON; the parsed JSON answer of a 2xx, or a {@link HooksError}. */
  async post(path: string, body: string, timeoutMs: number, extra: Record<string, string> = {}): Promise<unknown> {
    if (!this.config.url) throw new HooksError('config', 'is not configured (BAKERST_HOOKS_URL is empty)');
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json', ...extra };
    if (this.config.token) headers['authorization'] = `Bearer ${this.config.token}`;
    let response: Response;
    let text: string;
    try {
      response = await fetch(this.config.url + path, {
        method: 'POST',
        headers,
        body,
        signal: AbortSignal.timeout(timeoutMs),
      });
      text = await response.text(); // the same signal bounds reading the body
    } catch (err) {
      const name = (err as { name?: unknown } | null)?.name;
      if (name === 'TimeoutError' || name === 'AbortError') {
        throw new HooksError('timeout', `did not answer ${path} within ${timeoutMs} ms`);
      }
      const cause = (err as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
      const detail = cause?.code ?? cause?.message ?? (err as Error)?.message ?? String(err);
      throw new HooksError('unreachable', `is unreachable on ${path} (${String(detail)})`);
    }
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      if (!response.ok) throw new HooksError('http', `answered ${path} with HTTP ${response.status}`, response.status);
      throw garbage(path, `something that is not JSON (HTTP ${response.status})`);
    }
    if (!response.ok) {
      const code = isRecord(parsed) && typeof parsed['error'] === 'string' ? parsed['error'] : undefined;
      const message = isRecord(parsed) && typeof parsed['message'] === 'string' ? `: ${parsed['message']}` : '';
      throw new HooksError(
        'http',
        `answered ${path} with HTTP ${response.status}${code ? ` ${code}` : ''}${message}`,
        response.status,
        code,
        retryAfterOf(response, parsed),
      );
    }
    return parsed;
  }

  async before(call: WireToolCall): Promise<BeforeAnswer> {
    const path = '/v1/guardrail/before';
    const body = await this.post(path, JSON.stringify(call), this.config.beforeTimeoutMs);
    if (!isRecord(body)) throw garbage(path, 'a body that is not an object');
    const answer: BeforeAnswer = { allow: bool(body, 'allow', path), callId: str(body, 'callId', path) as string };
    const reason = str(body, 'reason', path, true);
    const rule = str(body, 'rule', path, true);
    const approvalId = str(body, 'approvalId', path, true);
    if (reason !== undefined) answer.reason = reason;
    if (rule !== undefined) answer.rule = rule;
    if (approvalId !== undefined) answer.approvalId = approvalId;
    return answer;
  }

  async after(context: WireToolCall, result: unknown): Promise<AfterAnswer> {
    const path = '/v1/guardrail/after';
    const body = await this.post(path, JSON.stringify({ context, result: result ?? null }), this.config.timeoutMs);
    if (!isRecord(body) || !('result' in body)) throw garbage(path, 'a body without a "result"');
    const redactions = body['redactions'] ?? {};
    if (!isRecord(redactions)) throw garbage(path, 'a "redactions" that is not an object');
    return { result: body['result'], withheld: bool(body, 'withheld', path), redactions: redactions as Record<string, number> };
  }

  /** `events` is a JSON array text (the audit sink serializes each event once, when it is emitted). */
  /** `replay`: these events were sent before without an answer, so the service may have recorded them already. */
  async auditEvents(eventsJson: string, replay = false): Promise<AuditAnswer> {
    const path = '/v1/audit/events';
    const body = await this.post(path, eventsJson, this.config.timeoutMs, replay ? { 'x-audit-replay': 'true' } : {});
    if (!isRecord(body)) throw garbage(path, 'a body that is not an object');
    return { accepted: num(body, 'accepted', path) };
  }

  async admit(request: AdmitRequest): Promise<AdmitAnswer> {
    const path = '/v1/llm/admit';
    const body = await this.post(path, JSON.stringify(request), this.config.timeoutMs);
    if (!isRecord(body)) throw garbage(path, 'a body that is not an object');
    return {
      model: str(body, 'model', path) as string,
      requestedModel: str(body, 'requestedModel', path) as string,
      downgraded: bool(body, 'downgraded', path),
      reservationId: str(body, 'reservationId', path) as string,
      reservedMicroUsd: num(body, 'reservedMicroUsd', path),
    };
  }

  async settle(request: SettleRequest): Promise<SettleAnswer> {
    const path = '/v1/llm/settle';
    const body = await this.post(path, JSON.stringify(request), this.config.timeoutMs);
    if (!isRecord(body)) throw garbage(path, 'a body that is not an object');
    return {
      chargedMicroUsd: num(body, 'chargedMicroUsd', path),
      source: str(body, 'source', path) as string,
      applied: bool(body, 'applied', path),
    };
  }
}
