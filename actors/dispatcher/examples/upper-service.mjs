#!/usr/bin/env node
// A sample `process` handler (dispatcher.md §4.4): one request at a time over NDJSON stdio.
//   stdin:  {"id":<n>,"request":<value>}
//   stdout: {"id":<n>,"reply":<value>}  or  {"id":<n>,"error":"<text>"}
//   stderr: goes to the dispatcher's log.
// With the legacy-tx protocol the request is the normalised 7-field transaction and the reply is
// a new MSG (a string) or a full 7-field object. This one upper-cases MSG.
import readline from 'node:readline';

const rl = readline.createInterface({ input: process.stdin });
rl.on('line', (line) => {
  let msg;
  try {
    msg = JSON.parse(line);
  } catch {
    process.stderr.write(`bad input line: ${line}\n`);
    return;
  }
  const { id, request } = msg;
  if (typeof request?.MSG !== 'string') {
    process.stdout.write(`${JSON.stringify({ id, error: 'expected a legacy-tx request' })}\n`);
    return;
  }
  process.stdout.write(`${JSON.stringify({ id, reply: `${request.MSG.toUpperCase()} OK - UPPER` })}\n`);
});
rl.on('close', () => process.exit(0));
