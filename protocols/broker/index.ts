// protocols/broker: the broker wire protocol (PROTOCOL.md): binary frames on length32 for links,
// JSON lines for the CLI <-> local broker socket, and the argument rules of broker.md §6.2.

export * from './types.ts';
export { encodeBrokerFrame, DEFAULT_MAX_FRAME_BYTES, MAX_BATCH, RECV_FLAGS, REPLY_FLAGS, type EncodeOptions } from './encode.ts';
export { decodeBrokerFrame } from './decode.ts';
export { BrokerStreamDecoder } from './stream.ts';
export { decodeJsonRequest, encodeJsonRequest, decodeJsonReply, encodeJsonReply, replyToJson, type JsonReply } from './json.ts';
export {
  DEFAULT_LIMITS,
  parseId,
  validateId,
  validateMessage,
  validateRequest,
  validateTimeout,
  validateTopic,
  type BrokerLimits,
} from './limits.ts';
export {
  decodeClientLine,
  decodeLbLine,
  encodeStreamAck,
  encodeStreamBatch,
  encodeStreamEnd,
  encodeStreamOpen,
  MAX_STREAM_CREDIT,
  type StreamAck,
  type StreamBatch,
  type StreamControl,
  type StreamEnd,
  type StreamOpen,
} from './json-stream.ts';
export {
  batchReplyFromObject,
  encodeBatchReply,
  encodePublishBatch,
  publishBatchFromObject,
  MAX_PUBLISH_BATCH,
  type BatchReply,
  type PublishBatch,
} from './json-batch.ts';
export {
  decodeStreamRun,
  encodeStreamRun,
  LbSocketSplitter,
  MAX_RUN,
  RUN_MARK,
  runBytes,
  runText,
  type LbItem,
  type StreamRun,
} from './stream-binary.ts';
