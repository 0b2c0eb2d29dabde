// protocols/lottery: the bet record, escaping, protocols A and B, detection and batch grouping.
export * from './bet.ts';
export * from './escape.ts';
export * from './protocol-a.ts';
export * from './protocol-b.ts';
export * from './sniff.ts';
export * from './batch.ts';
export * from './a-packer.ts';
export * from './a-rows.ts';
