/**
 * The LLM governor in front of upstream's `ModelRouter` (`@bakerst/shared`): `chat` and `chatStream` are wrapped
 * on the class's prototype so that every call is first admitted by `/v1/llm/admit` (rate limits, then budgets:
 * the model it answers with is the one called, a cheaper one when the budget says so) and settled by
 * `/v1/llm/settle` from the provider usage afterwards. A refused admission (429, 503) or an unreachable service
 * is thrown as an {@link LlmAdmissionError} before anything reaches a provider; a call or stream that breaks off
 * settles as `aborted` (charged at the reservation). A settle that fails is logged: the call already happened.
 */

import { AsyncLocalStorage } from 'node:async_hooks';

import { HooksClient, HooksError, type AdmitAnswer } from './client.js';
import type { AdapterConfig } from './config.js';
import { warn } from './log.js';

export const WRAPPED = Symbol.for('bakerst-hardened.hooks.governed');

/** The admission was refused (or could not be asked for); `status` is the service's (503 when unreachable). */
export class LlmAdmissionError extends Error {
  override readonly name = 'LlmAdmissionError';
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
    readonly retryAfter?: number,
  ) {
    super(message);
  }
}

type ChatOptions = Record<string, unknown> & { role?: unknown; modelOverride?: unknown; maxTokens?: unknown };
type Usage = Record<string, unknown> | undefined;
interface Admission {
  answer: AdmitAnswer;
  options: ChatOptions;
}

/** `{inputTokens, outputTokens, cache...}` (upstream's ChatResponse usage) as the service's provider usage. */
export function usageToWire(usage: Usage): Record<string, number> | undefined {
  if (!usage || typeof usage !== 'object') return undefined;
  const pairs: Array<[string, string]> = [
    ['inputTokens', 'input_tokens'],
    ['outputTokens', 'output_tokens'],
    ['cacheCreationInputTokens', 'cache_creation_input_tokens'],
    ['cacheReadInputTokens', 'cache_read_input_tokens'],
  ];
  const out: Record<string, number> = {};
  for (const [from, to] of pairs) {
    const value = usage[from] ?? usage[to];
    if (typeof value === 'number' && Number.isFinite(value) && value >= 0) out[to] = Math.floor(value);
  }
  return 'input_tokens' in out && 'output_tokens' in out ? out : undefined;
}

/** A rough prompt size (4 characters a token) for the reservation; settle charges the real usage. */
export function estimatePromptTokens(options: ChatOptions): number {
  try {
    const text = JSON.stringify([options['system'], options['messages'], options['tools']]) ?? '';
    return Math.max(1, Math.ceil(text.length / 4));
  } catch {
    return 1;
  }
}

export class LlmGovernor {
  private readonly inside = new AsyncLocalStorage<true>();

  constructor(
    private readonly client: HooksClient,
    private readonly config: AdapterConfig,
  ) {}

  /** The model the router would call for `options`: its definition's id (the name `modelOverride` takes). */
  modelFor(router: unknown, options: ChatOptions): string {
    const resolve = (router as { resolveModelDefinition?: unknown }).resolveModelDefinition;
    if (typeof resolve === 'function') {
      try {
        const def = resolve.call(router, options.role ?? 'agent', options.modelOverride ?? undefined) as
          | Record<string, unknown>
          | undefined;
        for (const key of ['id', 'modelName', 'model', 'name']) {
          const value = def?.[key];
          if (typeof value === 'string' && value) return value;
        }
      } catch {
        // fall through to the override, then to "unknown" (which the service refuses: no unpriced calls)
      }
    }
    return typeof options.modelOverride === 'string' && options.modelOverride ? options.modelOverride : 'unknown';
  }

  async admit(router: unknown, options: ChatOptions): Promise<Admission> {
    const model = this.modelFor(router, options);
    const request = { userId: this.config.llmUserId, model, promptTokens: estimatePromptTokens(options) };
    const maxTokens = options.maxTokens;
    const body = typeof maxTokens === 'number' && maxTokens >= 1 ? { ...request, maxOutputTokens: maxTokens } : request;
    let answer: AdmitAnswer;
    try {
      answer = await this.client.admit(body);
    } catch (err) {
      warn('LLM call refused', { model, error: err instanceof Error ? err.message : String(err) });
      if (err instanceof HooksError && err.kind === 'http' && err.status !== undefined) {
        throw new LlmAdmissionError(
          `LLM call refused by the hooks service: ${err.message}`,
          err.status,
          err.code ?? 'refused',
          err.retryAfter,
        );
      }
      const message = err instanceof Error ? err.message : String(err);
      throw new LlmAdmissionError(`LLM call refused: the hooks service ${message}`, 503, 'governor_unavailable');
    }
    const options2 = answer.model !== model ? { ...options, modelOverride: answer.model } : options;
    return { answer, options: options2 };
  }

  async settle(admission: Admission, outcome: 'completed' | 'aborted', usage?: Usage): Promise<void> {
    const wireUsage = outcome === 'completed' ? usageToWire(usage) : undefined;
    try {
      await this.client.settle({
        reservationId: admission.answer.reservationId,
        outcome,
        ...(wireUsage ? { usage: wireUsage } : {}),
      });
    } catch (err) {
      warn('LLM settle failed (the reservation expires charged)', {
        reservationId: admission.answer.reservationId,
        error: err instanceof Error ? err.message : String(err),
      });
    }
  }

  /** Wrap `chat` / `chatStream` on `routerClass.prototype` (once; a second call is a no-op). */
  wrap(routerClass: unknown): boolean {
    const proto = (routerClass as { prototype?: Record<string | symbol, unknown> } | undefined)?.prototype;
    if (!proto || proto[WRAPPED]) return false;
    const governor = this;
    const chat = proto['chat'];
    const chatStream = proto['chatStream'];
    for (const [name, method] of [['chat', chat], ['chatStream', chatStream]] as const) {
      if (typeof method !== 'function') warn(`ModelRouter.prototype.${name} is not a method: those calls are not governed`);
    }
    if (typeof chat === 'function') {
      proto['chat'] = async function governedChat(this: unknown, options: ChatOptions, ...rest: unknown[]) {
        if (governor.inside.getStore()) return chat.call(this, options, ...rest);
        const admission = await governor.admit(this, options ?? {});
        let response: { usage?: Usage } | undefined;
        try {
          response = await governor.inside.run(true, () => chat.call(this, admission.options, ...rest));
        } catch (err) {
          await governor.settle(admission, 'aborted');
          throw err;
        }
        await governor.settle(admission, 'completed', response?.usage);
        return response;
      };
    }
    if (typeof chatStream === 'function') {
      proto['chatStream'] = async function* governedChatStream(
        this: unknown,
        options: ChatOptions,
        ...rest: unknown[]
      ): AsyncGenerator<unknown> {
        if (governor.inside.getStore()) {
          yield* chatStream.call(this, options, ...rest) as AsyncIterable<unknown>;
          return;
        }
        const admission = await governor.admit(this, options ?? {});
        let usage: Usage;
        let finished = false;
        try {
          const inner = governor.inside.run(true, () => chatStream.call(this, admission.options, ...rest));
          for await (const event of inner as AsyncIterable<unknown>) {
            const e = event as { type?: unknown; response?: { usage?: Usage } } | null;
            if (e?.type === 'message_done') usage = e.response?.usage;
            yield event;
          }
          finished = true;
        } finally {
          await governor.settle(admission, finished ? 'completed' : 'aborted', usage);
        }
      };
    }
    Object.defineProperty(proto, WRAPPED, { value: true });
    return true;
  }
}
