// The governor in front of the fixture's ModelRouter, against the real service's limits and budgets.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { SKIP_SERVICE, startBrain, startService } from './helpers.mjs';

const noTools = { message: JSON.stringify({ calls: [] }) };

describe('LLM governance over the real service', { skip: SKIP_SERVICE, timeout: 120_000 }, () => {
  test('over budget for the requested model: the cheaper one is called; over the rate limit: a 429', async () => {
    // the big model's reservation (~0.06 USD) does not fit 0.03 USD a day; the small one's (~0.004) does
    const service = await startService({ dailyUsd: '0.03', perUser: 3 });
    const brain = await startBrain(service.url);
    try {
      for (let i = 0; i < 3; i++) assert.equal((await brain.post('/chat', noTools)).status, 200);
      const refused = await brain.post('/chat', noTools);
      assert.equal(refused.status, 500);
      assert.equal(refused.body.name, 'LlmAdmissionError');
      assert.equal(refused.body.status, 429);
      const state = await brain.state();
      assert.deepEqual(state.modelCalls, ['small', 'small', 'small'], 'downgraded, and nothing sent when refused');
      assert.deepEqual(state.apiCalls.map((c) => c.model), ['small', 'small', 'small'], 'setOnApiCall still reports');
    } finally {
      await brain.stop();
      await service.stop();
    }
    const records = service.records();
    assert.equal(records.filter((r) => r.action === 'llm.fallback').length, 3);
    assert.equal(records.filter((r) => r.action === 'llm.rate_limited').length, 1);
    assert.equal(records.filter((r) => r.action === 'llm.usage_missing').length, 0, 'settled from the usage');
  });

  test('no budget left for any model: a 503, and the model is never called', async () => {
    const service = await startService({ dailyUsd: '0.001' });
    const brain = await startBrain(service.url);
    try {
      const refused = await brain.post('/chat', noTools);
      assert.equal(refused.status, 500);
      assert.equal(refused.body.status, 503);
      assert.match(refused.body.error, /budget_exhausted/);
      assert.deepEqual((await brain.state()).modelCalls, []);
    } finally {
      await brain.stop();
      await service.stop();
    }
  });
});
