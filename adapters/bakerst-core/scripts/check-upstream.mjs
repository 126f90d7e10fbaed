// tsc --noEmit of the adapter against upstream's guardrails.ts in ../shared (beside the repository).
// Skips (exit 0, saying so) when ../shared is not there: it is test material, not part of the project.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const upstream = join(root, '../../../shared/upstream/baker-street/packages/core/src/guardrails.ts');
if (!existsSync(upstream)) {
  console.log(`check:upstream skipped: ${upstream} is absent (../shared is not part of the project)`);
  process.exit(0);
}
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const run = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.upstream.json')], { stdio: 'inherit' });
if (run.status === 0) console.log(`check:upstream: the adapter type-checks against ${upstream}`);
process.exit(run.status ?? 1);
