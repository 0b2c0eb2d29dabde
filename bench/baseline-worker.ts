// Baseline worker: echoes every postMessage straight back (one postMessage per message).
import { parentPort } from 'node:worker_threads';
parentPort!.on('message', (m) => parentPort!.postMessage(m));
