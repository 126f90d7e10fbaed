/**
 * Compile-time only (`npm run check:upstream`, tsconfig.upstream.json): the adapter against upstream's own
 * `GuardrailHook` / `AuditSink` (`@bakerst/core` mapped to `../shared`'s copy of `guardrails.ts`). Nothing here runs.
 */
import type * as Upstream from '@bakerst/core';

import { BufferedAuditSink, HooksClient, HttpGuardrailHook, configFromEnv } from '../../src/index.js';
import type * as Ours from '../../src/types.js';

const config = configFromEnv({});
const client = new HooksClient(config);

// The adapter is what upstream's createAgent / createApi accept in their guardrail and audit positions.
export const guardrail: Upstream.GuardrailHook = new HttpGuardrailHook(client);
export const audit: Upstream.AuditSink = new BufferedAuditSink(client, config);

// Our declarations and upstream's are interchangeable in both directions.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
export const checks: [
  Same<Ours.GuardrailContext, Upstream.GuardrailContext>,
  Same<Ours.GuardrailResult, Upstream.GuardrailResult>,
  Same<Ours.GuardrailHook, Upstream.GuardrailHook>,
  Same<Ours.AuditEvent, Upstream.AuditEvent>,
  Same<Ours.AuditSink, Upstream.AuditSink>,
] = [true, true, true, true, true];

// upstream's own no-op hooks fit where the adapter goes
export const noop: Ours.GuardrailHook = {} as Upstream.GuardrailHook;
