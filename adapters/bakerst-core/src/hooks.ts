/**
 * Module loader hooks (registered by `register.mjs` through `module.register`; Node >= 20.6 and 22).
 *
 * Three modules are served through a small generated facade instead of directly:
 * - the brain's `dist/agent.js` and `dist/api.js` (by default any URL ending in `/brain/dist/agent.js` or
 *   `/brain/dist/api.js`; `BAKERST_HOOKS_BRAIN_DIST` names the directory exactly instead): the facade re-exports
 *   everything and replaces `createAgent` / `createApi` with functions that fill in the adapter where the
 *   caller passed `undefined`;
 * - `@bakerst/shared` (whatever that specifier resolves to): the facade re-exports everything and wraps
 *   `ModelRouter`'s `chat` / `chatStream` with the governor.
 * The real module is loaded under the same URL plus `?bakerst-hooks=original`, so relative imports inside it
 * resolve as before. Everything else passes through untouched.
 */

import { pathToFileURL } from 'node:url';

const TAG = 'bakerst-hooks';
const SHARED_SPECIFIER = '@bakerst/shared';
const INJECT_URL = new URL('./inject.js', import.meta.url).href;

type Kind = 'agent' | 'api' | 'shared' | 'original';

interface ResolveResult {
  url: string;
  format?: string | null;
  shortCircuit?: boolean;
  importAttributes?: Record<string, string>;
}
interface LoadResult {
  format: string;
  source?: string | ArrayBuffer | Uint8Array;
  shortCircuit?: boolean;
}
type NextResolve = (specifier: string, context?: unknown) => Promise<ResolveResult>;
type NextLoad = (url: string, context?: unknown) => Promise<LoadResult>;

function brainDir(): string | undefined {
  const dir = process.env['BAKERST_HOOKS_BRAIN_DIST'];
  return dir ? pathToFileURL(dir.endsWith('/') ? dir : `${dir}/`).href : undefined;
}

function tagOf(url: string): Kind | undefined {
  if (!url.includes(`${TAG}=`)) return undefined;
  try {
    return (new URL(url).searchParams.get(TAG) as Kind | null) ?? undefined;
  } catch {
    return undefined;
  }
}

function withTag(url: string, kind: Kind): string {
  const u = new URL(url);
  u.searchParams.set(TAG, kind);
  return u.href;
}

function brainKind(url: string): 'agent' | 'api' | undefined {
  if (!url.startsWith('file:') || url.includes('?')) return undefined;
  const dir = brainDir();
  for (const kind of ['agent', 'api'] as const) {
    const file = `${kind}.js`;
    if (dir ? url === dir + file : url.endsWith(`/brain/dist/${file}`)) return kind;
  }
  return undefined;
}

export async function resolve(specifier: string, context: unknown, nextResolve: NextResolve): Promise<ResolveResult> {
  const resolved = await nextResolve(specifier, context);
  if (tagOf(resolved.url)) return resolved;
  if (specifier === SHARED_SPECIFIER) return { ...resolved, url: withTag(resolved.url, 'shared') };
  const kind = brainKind(resolved.url);
  return kind ? { ...resolved, url: withTag(resolved.url, kind) } : resolved;
}

/** The facade's source for `kind`; `original` is the real module's URL. */
export function facade(kind: 'agent' | 'api' | 'shared', original: string): string {
  const o = JSON.stringify(original);
  const inject = JSON.stringify(INJECT_URL);
  const head = `import * as __bakerstOriginal from ${o};\nimport * as __bakerstHooks from ${inject};\nexport * from ${o};\n`;
  if (kind === 'shared') return `${head}__bakerstHooks.governShared(__bakerstOriginal);\n`;
  const [name, call] = kind === 'agent' ? ['createAgent', 'callCreateAgent'] : ['createApi', 'callCreateApi'];
  return `${head}export function ${name}(...args) {\n  return __bakerstHooks.${call}(__bakerstOriginal.${name}, this, args);\n}\n`;
}

export async function load(url: string, context: unknown, nextLoad: NextLoad): Promise<LoadResult> {
  const kind = tagOf(url);
  if (kind === 'agent' || kind === 'api' || kind === 'shared') {
    return { format: 'module', source: facade(kind, withTag(url, 'original')), shortCircuit: true };
  }
  return nextLoad(url, context);
}
