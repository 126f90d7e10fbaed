// Stand-in for upstream's index.ts main(): the router from @bakerst/shared with setOnApiCall, then createAgent
// and createApi with the guardrail hook and audit sink left undefined, as upstream's consumer entrypoint does.
import { loadModelConfig, ModelRouter } from '@bakerst/shared';
import { createAgent } from './agent.js';
import { createApi } from './api.js';

async function main() {
  // undefined unless the test asks the app to pass its own (the preload must then leave it alone)
  const guardrailHook = process.env.FIXTURE_OWN_GUARDRAIL
    ? {
        async beforeToolExecution() {
          return { allow: true };
        },
        async afterToolExecution(_ctx, result) {
          return `${process.env.FIXTURE_OWN_GUARDRAIL}${String(result)}`;
        },
      }
    : undefined;
  const auditSink = undefined;

  const modelRouter = await ModelRouter.create(await loadModelConfig());
  modelRouter.apiCallLog = [];
  modelRouter.setOnApiCall((info) => modelRouter.apiCallLog.push(info));

  const startTime = Date.now();
  const agent = createAgent(
    {}, {}, {}, {}, modelRouter, undefined, undefined, startTime, '0.1.0', undefined, undefined,
    guardrailHook, auditSink, undefined,
  );
  const app = createApi(
    {}, {}, agent, {}, {}, undefined, undefined, modelRouter, undefined, undefined, undefined, startTime,
    undefined, undefined, undefined, auditSink,
  );
  const server = app.listen(Number(process.env.PORT ?? 0), () => {
    process.stdout.write(`listening ${server.address().port}\n`);
  });
  process.on('SIGTERM', () => process.exit(0));
}

main().catch((err) => {
  process.stderr.write(`brain failed to start: ${err?.stack ?? err}\n`);
  process.exit(1);
});
