// Preload for the brain: NODE_OPTIONS=--import=/opt/bakerst-hooks/register.mjs
// Registers the loader hooks that pass the hooks-service adapter to createAgent/createApi and govern ModelRouter.
import { register } from 'node:module';

register('./dist/hooks.js', import.meta.url);
