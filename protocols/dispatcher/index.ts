// protocols/dispatcher: the dispatcher's request/reply codecs (legacy-tx and json) and its
// three framings. Pure: no I/O, no actors.
export * from './legacy-tx.ts';
export * from './json.ts';
export * from './frames.ts';
export * from './frame-slab.ts';
export * from './protocol.ts';
