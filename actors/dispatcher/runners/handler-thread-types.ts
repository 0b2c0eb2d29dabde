// Shapes shared by the module handler thread and its Worker (kept apart so that importing them
// does not run the thread's entry code).

/** Separator of JSON texts in one batch string: valid JSON text never contains a raw U+0000. */
export const SEP = '\u0000';

export interface HandlerBatch {
  ids: number[];
  deadlines: number[];
  /** `json` protocol: the requests' JSON texts joined by SEP; otherwise null. */
  text: string | null;
  /** Other protocols: the request values; otherwise null. */
  values: unknown[] | null;
}
