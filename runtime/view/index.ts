// The live view: a web page that watches a running system (see server.ts). Loaded only by the
// commands that serve it (`run --view`, `view`).
export { startViewServer, type ViewServer, type ViewServerOptions } from './server.ts';
export { systemSource, controlSource, nodeSource, type ViewSource } from './source.ts';
export { parseViewAddress, loadSecret, isLoopback, SECRET_ENV, type ViewAddress } from './address.ts';
export { DEFAULT_CAPS, proofFor, type ViewCaps, type HubStats } from './hub.ts';
export { buildPanels, type Panel } from './panels.ts';
