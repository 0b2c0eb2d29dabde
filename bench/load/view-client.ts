// A page of the live view, in its own process (as a browser would be). Told over IPC to connect
// (it answers once the full state is in) or to leave (it answers with what it received); every
// message is decoded as the page does.
import WebSocket from 'ws';

let ws: WebSocket | null = null;
let got = { messages: 0, bytes: 0, actors: 0 };

process.on('message', (cmd: { op: 'connect'; url: string } | { op: 'leave' }) => {
  if (cmd.op === 'connect') {
    got = { messages: 0, bytes: 0, actors: 0 };
    ws = new WebSocket(cmd.url);
    ws.on('message', (d) => {
      got.messages++;
      got.bytes += (d as Buffer).length;
      const m = JSON.parse(d.toString());
      if (m.type === 'full') {
        got.actors = m.actors.length;
        process.send!({ ready: true, actors: got.actors });
      }
    });
    ws.on('error', (err) => {
      process.stderr.write(`view client: ${err.message}\n`);
      process.exit(1);
    });
  } else {
    const w = ws;
    ws = null;
    if (!w) return void process.send!({ left: true, ...got });
    w.once('close', () => process.send!({ left: true, ...got }));
    w.close();
  }
});
process.on('disconnect', () => process.exit(0));
