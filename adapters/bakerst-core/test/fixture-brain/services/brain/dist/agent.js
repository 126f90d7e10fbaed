// Stand-in for upstream's agent.ts: createAgent with upstream's 14 parameters, the tool loop calling the
// guardrail before and after each tool and emitting upstream's `blocked` / `executed` audit events.
import { executeTool } from './tools.js';

const allowAll = {
  async beforeToolExecution() {
    return { allow: true };
  },
  async afterToolExecution(_ctx, result) {
    return result;
  },
};
const discard = { emit() {} };

export function createAgent(
  dispatcher,
  statusTracker,
  memoryService,
  pluginRegistry,
  modelRouter,
  unifiedRegistry,
  skillRegistry,
  startTime,
  brainVersion,
  taskPodManager,
  companionManager,
  guardrailHook,
  auditSink,
  scheduleManager,
) {
  const guardrail = guardrailHook ?? allowAll;
  const audit = auditSink ?? discard;
  let conversations = 0;

  async function runTools(conversationId, content) {
    const toolResults = [];
    let toolCallCount = 0;
    for (const block of content) {
      if (block.type !== 'tool_use') continue;
      toolCallCount++;
      const guardrailCtx = { conversationId, toolName: block.name, toolInput: block.input };
      const check = await guardrail.beforeToolExecution(guardrailCtx);
      if (!check.allow) {
        audit.emit({
          timestamp: new Date().toISOString(),
          category: 'tool',
          action: 'blocked',
          actor: 'guardrail',
          detail: { tool: block.name, reason: check.reason },
        });
        toolResults.push({
          type: 'tool_result',
          tool_use_id: block.id,
          content: `Tool execution blocked: ${check.reason ?? 'policy violation'}`,
        });
        continue;
      }
      const { result, jobId } = await executeTool(block.name, block.input);
      const finalResult = await guardrail.afterToolExecution(guardrailCtx, result);
      audit.emit({
        timestamp: new Date().toISOString(),
        category: 'tool',
        action: 'executed',
        actor: 'agent',
        detail: { tool: block.name, jobId },
      });
      toolResults.push({ type: 'tool_result', tool_use_id: block.id, content: String(finalResult) });
    }
    return { toolResults, toolCallCount };
  }

  async function chat(message, opts = {}) {
    const conversationId = opts.conversationId ?? `conv-${++conversations}`;
    const messages = [{ role: 'user', content: message }];
    let toolCallCount = 0;
    for (let i = 0; i < 10; i++) {
      const response = await modelRouter.chat({ role: 'agent', system: [], tools: [], messages });
      if (response.stopReason === 'end_turn') {
        const text = response.content.filter((b) => b.type === 'text').map((b) => b.text).join('\n');
        return { response: text, conversationId, jobIds: [], toolCallCount };
      }
      messages.push({ role: 'assistant', content: response.content });
      const ran = await runTools(conversationId, response.content);
      toolCallCount += ran.toolCallCount;
      messages.push({ role: 'user', content: ran.toolResults });
    }
    throw new Error('too many iterations');
  }

  async function* chatStream(message, opts = {}) {
    const conversationId = opts.conversationId ?? `conv-${++conversations}`;
    const messages = [{ role: 'user', content: message }];
    let toolCallCount = 0;
    for (let i = 0; i < 10; i++) {
      let response;
      for await (const event of modelRouter.chatStream({ role: 'agent', system: [], tools: [], messages })) {
        if (event.type === 'text_delta') yield { type: 'delta', text: event.text };
        else if (event.type === 'message_done') response = event.response;
      }
      if (!response) throw new Error('stream ended without a message_done event');
      if (response.stopReason === 'end_turn') {
        yield { type: 'done', conversationId, jobIds: [], toolCallCount };
        return;
      }
      messages.push({ role: 'assistant', content: response.content });
      const ran = await runTools(conversationId, response.content);
      toolCallCount += ran.toolCallCount;
      for (const r of ran.toolResults) yield { type: 'tool_result', summary: r.content };
      messages.push({ role: 'user', content: ran.toolResults });
    }
  }

  return { chat, chatStream };
}
