/**
 * `GuardrailHook` over HTTP. Fails closed: when the service cannot give a well-formed answer in time,
 * `beforeToolExecution` refuses the call and `afterToolExecution` returns a withheld-notice, never the raw result.
 */

import { HooksClient, HooksError, type WireToolCall } from './client.js';
import { warn } from './log.js';
import type { GuardrailContext, GuardrailHook, GuardrailResult } from './types.js';

export const WITHHELD_PREFIX = '[tool result withheld by the guardrail';

/** The text the model gets instead of a result that could not be checked. */
export function withheldNotice(reason: string): string {
  return `${WITHHELD_PREFIX}: the hooks service ${reason}; the result was not checked, so it is not shown]`;
}

function describe(err: unknown): string {
  if (err instanceof HooksError) return err.message;
  return `failed (${err instanceof Error ? err.message : String(err)})`;
}

function wire(ctx: GuardrailContext, callId?: string): WireToolCall {
  const call: WireToolCall = {
    conversationId: ctx.conversationId,
    toolName: ctx.toolName,
    toolInput: ctx.toolInput ?? {},
  };
  if (ctx.userId) call.userId = ctx.userId;
  if (callId) call.callId = callId;
  return call;
}

export class HttpGuardrailHook implements GuardrailHook {
  /** upstream passes the same context object to before and after: the service's callId rides on it. */
  private readonly callIds = new WeakMap<object, string>();

  constructor(private readonly client: HooksClient) {}

  async beforeToolExecution(ctx: GuardrailContext): Promise<GuardrailResult> {
    try {
      const answer = await this.client.before(wire(ctx));
      if (typeof ctx === 'object' && ctx !== null) this.callIds.set(ctx, answer.callId);
      if (answer.allow) return { allow: true };
      return { allow: false, reason: answer.reason ?? `refused by ${answer.rule ?? 'the guardrail policy'}` };
    } catch (err) {
      const reason = `the hooks service ${describe(err)}, so the call is refused`;
      warn('guardrail before failed closed', { tool: ctx?.toolName, error: describe(err) });
      return { allow: false, reason };
    }
  }

  async afterToolExecution(ctx: GuardrailContext, result: unknown): Promise<unknown> {
    const callId = typeof ctx === 'object' && ctx !== null ? this.callIds.get(ctx) : undefined;
    if (callId !== undefined) this.callIds.delete(ctx);
    try {
      const answer = await this.client.after(wire(ctx, callId), result);
      if (typeof result === 'string' && typeof answer.result !== 'string') {
        throw new HooksError('garbage', 'answered /v1/guardrail/after with a non-string result for a string');
      }
      return answer.result;
    } catch (err) {
      warn('guardrail after failed closed: result withheld', { tool: ctx?.toolName, error: describe(err) });
      return withheldNotice(describe(err));
    }
  }
}
