// protocols/eventdispatcher: the event dispatcher message codec (eventdispatcher.md §1), typed
// parameter values, and the pause list of permanent connections (§4.1).

export { InvalidMessageError, InvalidParameterError, ParameterError, ImplementationError } from './errors.ts';
export { Message, type MessageFormat, type MessageInit } from './message.ts';
export { parseMessage, parseStringMessage, byteOffset } from './parse.ts';
export { toStringMessage, sortedParameters, compareNames } from './serialize.ts';
export { toJsonMessage, parseJsonMessage, jsonParameterValue } from './json.ts';
export { asJsonNumber, jsonNumberToParameter, formatFixed6 } from './json-number.ts';
export { escapeValue, unescapeValue, formatValue, needsQuoting } from './escape.ts';
export {
  isBaseName,
  isCommandName,
  isDestinationName,
  isSentFromName,
  verifyName,
  verifyCommand,
  verifyDestination,
  verifySentFrom,
  verifyParameterName,
} from './names.ts';
export {
  formatInteger,
  parseInteger,
  formatTimespec,
  formatTimespecFixed,
  parseTimespec,
  timespecFromMicros,
  formatAddress,
  parseAddress,
  isIPv4,
  isIPv6,
  type IpAddress,
  type Timespec,
} from './params.ts';
export { parsePauseList, parseDuration, DEFAULT_PAUSE_SECONDS, MAX_PAUSES } from './pauses.ts';
export { trimMessage } from './trim.ts';
export {
  MESSAGE_VERSION,
  emptyFields,
  type MessageFields,
  type ParseMode,
  type ParseOptions,
  type ParseResult,
} from './types.ts';
