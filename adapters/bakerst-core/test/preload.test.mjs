// The preload's loader hooks on their own: which modules get a facade, which arguments are filled, what is left.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'node:test';

import { REGISTER } from './helpers.mjs';

function brainDir(root) {
  const dist = join(root, 'services/brain/dist');
  mkdirSync(dist, { recursive: true });
  writeFileSync(join(dist, 'package.json'), '{"type":"module"}');
  // createAgent as a function declaration, createApi as a const arrow: both forms are wrapped
  writeFileSync(join(dist, 'agent.js'), 'export const VERSION = "x";\nexport function createAgent(...args) { return args; }\n');
  writeFileSync(join(dist, 'api.js'), 'export const createApi = (...args) => args;\nexport const other = 1;\n');
  writeFileSync(join(dist, 'other.js'), 'export function createAgent(...args) { return args; }\n');
  return dist;
}

function run(dist, env = {}) {
  const u = (f) => JSON.stringify(pathToFileURL(join(dist, f)).href);
  const script = `
    const agent = await import(${u('agent.js')});
    const api = await import(${u('api.js')});
    const other = await import(${u('other.js')});
    const name = (v) => v === undefined ? 'undefined' : v === null ? 'null' : typeof v === 'object' ? v.constructor.name : String(v);
    const own = { own: true };
    console.log(JSON.stringify({
      filled: agent.createAgent(...Array(14).fill(undefined)).map(name),
      kept: agent.createAgent(...Array(11).fill(0), own, own, 's').map(name),
      short: agent.createAgent(1, 2).map(name),
      api: api.createApi(...Array(16).fill(undefined)).map(name),
      apiKept: api.createApi(...Array(15).fill(0), own).map(name),
      reexports: [agent.VERSION, api.other],
      untouched: other.createAgent(...Array(14).fill(undefined)).map(name),
    }));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...process.env, NODE_OPTIONS: `--import=${REGISTER}`, BAKERST_HOOKS_URL: 'http://127.0.0.1:9', ...env },
    encoding: 'utf8',
  });
  return JSON.parse(out);
}

test('createAgent / createApi get the adapter where the caller passed undefined, and nowhere else', () => {
  const result = run(brainDir(mkdtempSync(join(tmpdir(), 'preload-'))));
  const blanks = (n) => Array(n).fill('undefined');
  assert.deepEqual(result.filled, [...blanks(11), 'HttpGuardrailHook', 'BufferedAuditSink', 'undefined']);
  assert.deepEqual(result.kept.slice(11), ['Object', 'Object', 's'], "the app's own hooks are kept");
  assert.deepEqual(result.short, ['1', '2', ...blanks(9), 'HttpGuardrailHook', 'BufferedAuditSink']);
  assert.deepEqual(result.api, [...blanks(15), 'BufferedAuditSink']);
  assert.deepEqual(result.apiKept.at(-1), 'Object');
  assert.deepEqual(result.reexports, ['x', 1], 'every other export is re-exported');
  assert.deepEqual(result.untouched, blanks(14), 'modules that are not the brain are not wrapped');
});

test('BAKERST_HOOKS_BRAIN_DIST names the brain directory exactly', () => {
  const root = mkdtempSync(join(tmpdir(), 'preload-'));
  const dist = brainDir(root);
  assert.deepEqual(run(dist, { BAKERST_HOOKS_BRAIN_DIST: join(root, 'elsewhere') }).filled.slice(11, 13), [
    'undefined',
    'undefined',
  ]);
  assert.deepEqual(run(dist, { BAKERST_HOOKS_BRAIN_DIST: dist }).filled.slice(11, 13), [
    'HttpGuardrailHook',
    'BufferedAuditSink',
  ]);
});
