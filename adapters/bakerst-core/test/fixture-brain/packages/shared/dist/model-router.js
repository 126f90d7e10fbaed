// Scripted stand-in for @bakerst/shared's ModelRouter (see ../../../README.md).

export async function loadModelConfig() {
  return {
    models: [
      { id: process.env.FIXTURE_MODEL ?? 'big', provider: 'fixture', modelName: 'fixture-big' },
      { id: 'small', provider: 'fixture', modelName: 'fixture-small' },
    ],
    roles: { agent: process.env.FIXTURE_MODEL ?? 'big' },
  };
}

function script(messages) {
  const first = messages.find((m) => m.role === 'user');
  try {
    return JSON.parse(typeof first?.content === 'string' ? first.content : '{}');
  } catch {
    return {};
  }
}

export class ModelRouter {
  constructor(config) {
    this.config = config;
    this.onApiCall = undefined;
    this.calls = []; // model ids actually called, in order
  }

  static async create(config) {
    return new ModelRouter(config);
  }

  setOnApiCall(callback) {
    this.onApiCall = callback;
  }

  resolveModelDefinition(role, modelOverride) {
    const id = modelOverride ?? this.config.roles[role];
    return this.config.models.find((m) => m.id === id) ?? { id, provider: 'fixture', modelName: id };
  }

  respond(options) {
    const { messages } = options;
    const last = messages[messages.length - 1];
    const usage = { inputTokens: 1000, outputTokens: 200 };
    if (Array.isArray(last.content)) {
      const results = last.content.filter((b) => b.type === 'tool_result').map((b) => b.content);
      return { content: [{ type: 'text', text: JSON.stringify(results) }], stopReason: 'end_turn', usage };
    }
    const calls = script(messages).calls ?? [];
    if (calls.length === 0) return { content: [{ type: 'text', text: '[]' }], stopReason: 'end_turn', usage };
    const content = calls.map((c, i) => ({ type: 'tool_use', id: `tu_${i}`, name: c.name, input: c.input }));
    return { content, stopReason: 'tool_use', usage };
  }

  report(model, started, response, error) {
    this.onApiCall?.({
      provider: 'fixture',
      model,
      durationMs: Date.now() - started,
      inputTokens: response?.usage.inputTokens,
      outputTokens: response?.usage.outputTokens,
      ...(error ? { error: String(error) } : {}),
    });
  }

  async chat(options) {
    const started = Date.now();
    const model = this.resolveModelDefinition(options.role ?? 'agent', options.modelOverride).id;
    this.calls.push(model);
    const response = this.respond(options);
    this.report(model, started, response);
    return response;
  }

  async *chatStream(options) {
    const started = Date.now();
    const model = this.resolveModelDefinition(options.role ?? 'agent', options.modelOverride).id;
    this.calls.push(model);
    const response = this.respond(options);
    const text = response.content.filter((b) => b.type === 'text').map((b) => b.text).join('');
    yield { type: 'text_delta', text: text.slice(0, 1) };
    if (script(options.messages).breakStream) {
      this.report(model, started, undefined, 'connection reset');
      throw new Error('fixture: the provider stream broke off');
    }
    yield { type: 'text_delta', text: text.slice(1) };
    this.report(model, started, response);
    yield { type: 'message_done', response };
  }
}
