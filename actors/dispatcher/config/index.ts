// Dispatcher configuration (dispatcher.md §2): schemas (schema.ts), the resolved shape (types.ts),
// the original layout (layouts.ts) and resolution of every document kind (resolve.ts).

export { ConfigError } from '../../../runtime/config/index.ts';
export { sectionSchema, nativeEntrySchema, overrideSchema, type EntryInput, type SectionConfig } from './schema.ts';
export type { DispatcherConfig, HandlerConfig } from './types.ts';
export { defaultConfigText, isNativeDocument, looksLegacy } from './layouts.ts';
export { loadConfigFile, resolveDocument, resolveInline } from './resolve.ts';
