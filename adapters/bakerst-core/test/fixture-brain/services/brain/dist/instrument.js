// Stand-in for upstream's instrumentation preload (entrypoint: `node --import ./services/brain/dist/instrument.js`):
// OpenTelemetry's ESM instrumentation registers import-in-the-middle's loader hook, which wraps every module,
// and hooks the modules it instruments. Here every module it wraps is recorded.
import { register } from 'node:module';
import { Hook } from 'import-in-the-middle';

register('import-in-the-middle/hook.mjs', import.meta.url);
globalThis.__fixtureInstrumented = [];
new Hook((exported, name) => {
  globalThis.__fixtureInstrumented.push(name);
  return exported;
});
