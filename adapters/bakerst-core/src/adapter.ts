/** One adapter per process: the guardrail hook, the audit sink and the LLM governor sharing a client. */

import { BufferedAuditSink } from './audit.js';
import { HooksClient } from './client.js';
import { configFromEnv, type AdapterConfig } from './config.js';
import { LlmGovernor } from './governor.js';
import { HttpGuardrailHook } from './guardrail.js';

export interface Adapter {
  config: AdapterConfig;
  client: HooksClient;
  guardrail: HttpGuardrailHook;
  audit: BufferedAuditSink;
  governor: LlmGovernor;
}

export function createAdapter(config: AdapterConfig = configFromEnv()): Adapter {
  const client = new HooksClient(config);
  return {
    config,
    client,
    guardrail: new HttpGuardrailHook(client),
    audit: new BufferedAuditSink(client, config),
    governor: new LlmGovernor(client, config),
  };
}
