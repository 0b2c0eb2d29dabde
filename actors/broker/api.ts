// The package entry `actor-runtime/broker`: the client API, its types and the error codes.
export { BrokerClient, BrokerError, defaultSocket, type BrokerMessage, type ConnectOptions, type JsonReply, type RecvOptions } from './client.ts';
export { BROKER_ERRORS, brokerErrorName } from '../../protocols/broker/types.ts';
