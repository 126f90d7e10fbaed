// Faults on real processes: the hooks service killed while the brain waits on it, and a service that is down.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { SKIP_SERVICE, startBrain, startService, waitForPending } from './helpers.mjs';

const message = (calls) => ({ message: JSON.stringify({ calls }) });

describe('the hooks service fails under the brain', { skip: SKIP_SERVICE, timeout: 120_000 }, () => {
  test('killed mid-request: the adapter denies, the loop goes on, and the brain recovers with the service', async () => {
    const first = await startService({ approvalTimeout: 60 });
    const brain = await startBrain(first.url);
    let second;
    try {
      // a held call: the brain is inside /v1/guardrail/before, waiting for a person, when the service dies
      const inFlight = brain.post('/chat/stream', message([{ name: 'send_money', input: { amount: 9, to: 'eve' } }]));
      await waitForPending(first);
      await first.stop('SIGKILL');
      const { status, body } = await inFlight;
      assert.equal(status, 200);
      const [toolResult] = body.events.filter((e) => e.type === 'tool_result');
      assert.match(toolResult.summary, /^Tool execution blocked: the hooks service is unreachable/);
      // the loop went on to its next model call, which the governor also refuses while the service is gone
      assert.equal(body.events.at(-1).type, 'error');
      assert.match(body.events.at(-1).message, /LLM call refused: the hooks service is unreachable/);
      assert.equal((await brain.state()).modelCalls.length, 1, 'no model call went out ungoverned');

      // the same brain process, once the service is back on its address, works again
      second = await startService({ port: Number(new URL(first.url).port) });
      const again = await brain.chat([{ name: 'search', input: { query: 'after the restart' } }]);
      assert.deepEqual(again.results, ['results for after the restart']);
    } finally {
      await brain.stop();
      await second?.stop();
    }
  });

  test('down from the start: tool and LLM calls are refused with the reason, the brain stays up', async () => {
    const gone = await startService();
    await gone.stop();
    const brain = await startBrain(gone.url, { BAKERST_HOOKS_TIMEOUT_MS: '500' });
    try {
      const { status, body } = await brain.post('/chat', message([]));
      assert.equal(status, 500);
      assert.equal(body.name, 'LlmAdmissionError');
      assert.equal(body.status, 503);
      assert.match(body.error, /unreachable/);
      const ping = await fetch(`${brain.url}/ping`);
      assert.equal(ping.status, 200);
      assert.match(brain.stderr(), /LLM call refused/);
    } finally {
      await brain.stop();
    }
  });
});

describe('the preload without a service URL', { skip: SKIP_SERVICE, timeout: 60_000 }, () => {
  test('refuses every call instead of running unguarded', async () => {
    const brain = await startBrain('', {});
    try {
      const { status, body } = await brain.post('/chat', message([{ name: 'search', input: { query: 'x' } }]));
      assert.equal(status, 500);
      assert.match(body.error, /not configured/);
      assert.match(brain.stderr(), /BAKERST_HOOKS_URL is not set/);
    } finally {
      await brain.stop();
    }
  });
});
