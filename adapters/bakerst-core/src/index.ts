export type { AuditEvent, AuditSink, GuardrailContext, GuardrailHook, GuardrailResult } from './types.js';
export { configFromEnv, DEFAULTS, ENV, type AdapterConfig } from './config.js';
export { HooksClient, HooksError, type HooksErrorKind } from './client.js';
export { HttpGuardrailHook, withheldNotice, WITHHELD_PREFIX } from './guardrail.js';
export { BufferedAuditSink, type AuditStats } from './audit.js';
export { LlmAdmissionError, LlmGovernor, usageToWire, estimatePromptTokens } from './governor.js';
export { createAdapter, type Adapter } from './adapter.js';
