// A page of the live view, in its own process (as a browser would be): connects to the view's
// ws stream, decodes every message as the page does, and reports what it received on exit.
import WebSocket from 'ws';

const url = process.argv[2];
const ws = new WebSocket(url);
let messages = 0;
let bytes = 0;
let actors = 0;
ws.on('message', (d) => {
  messages++;
  bytes += (d as Buffer).length;
  const m = JSON.parse(d.toString());
  if (m.type === 'full') {
    actors = m.actors.length;
    process.send?.({ ready: true, actors });
  }
});
ws.on('error', (err) => {
  process.stderr.write(`view client: ${err.message}\n`);
  process.exit(1);
});
process.on('message', () => {
  process.send?.({ messages, bytes, actors }, () => process.exit(0));
});
