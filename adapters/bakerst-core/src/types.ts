/**
 * The shapes of upstream Baker Street's guardrail seams (`@bakerst/core`), declared here so the adapter has no
 * runtime or build dependency on upstream. `tsconfig.upstream.json` checks, against upstream's own
 * `guardrails.ts`, that these stay interchangeable with upstream's interfaces.
 */

/** What the brain knows about a tool call when it asks the guardrail. */
export interface GuardrailContext {
  conversationId: string;
  userId?: string;
  toolName: string;
  toolInput: unknown;
}

/** The guardrail's verdict before a tool call. */
export interface GuardrailResult {
  allow: boolean;
  reason?: string;
}

/** Before/after tool execution. */
export interface GuardrailHook {
  beforeToolExecution(ctx: GuardrailContext): Promise<GuardrailResult>;
  afterToolExecution(ctx: GuardrailContext, result: unknown): Promise<unknown>;
}

/** One structured audit event as the brain emits it. */
export interface AuditEvent {
  timestamp: string;
  category: 'auth' | 'tool' | 'secret' | 'admin' | 'llm';
  action: string;
  actor: string;
  detail: Record<string, unknown>;
}

/** Where the brain sends its audit events; `emit` is synchronous and must not throw. */
export interface AuditSink {
  emit(event: AuditEvent): void;
}
