// Entry of every worker thread, plain JavaScript on purpose: it turns the compile cache on in this
// thread before worker.ts and its graph are loaded, so their stripped and compiled code comes from
// the cache (NODE_COMPILE_CACHE, set by bin/actor-runtime.mjs) instead of being compiled again.
import { enableCompileCache } from 'node:module';

if (process.env.NODE_COMPILE_CACHE && !process.env.NODE_DISABLE_COMPILE_CACHE) enableCompileCache(process.env.NODE_COMPILE_CACHE);
await import('./worker.ts');
