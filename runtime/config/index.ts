// runtime/config: reading configuration documents and saying what is wrong in them, once for the
// topology and every subsystem's own files. readDocument(file, { format, optional }) reads and
// parses (JSON, YAML or a parser given by the caller) or throws a ConfigError(file, problems,
// exitCode = 2); formatIssue(issue, root, { prefix, expectedKeys }) turns a zod issue into
// `<path>: expected ..., found ...`.
export { ConfigError, MAX_PRINTED_PROBLEMS, problemLines, readDocument, parseDocument, readConfigText, recordReads, type DocumentFormat, type ReadOptions } from './document.ts';
export { formatIssue, formatPath, describeValue, valueAt, type IssueOptions } from './issues.ts';
