// The demo's example service: registers as `example`, answers HELP and ALIVE (built-ins), logs
// every message it gets and answers HELLO with HI. `actor-runtime signal example/HELLO` reaches it
// through the router's UDP port.

import { Message } from '../../protocols/eventdispatcher/index.ts';
import { PRIORITY } from './dispatcher.ts';
import { defineService } from './service.ts';

export const ExampleService = defineService<{ greeting?: string }>(import.meta.url, 'ExampleService', (svc, props) => {
  // A CALLBACK entry runs first for every message and lets the walk go on.
  svc.dispatcher.addMatch({
    match: 'callback',
    priority: PRIORITY.MIN,
    callback: (m) => svc.log.info('message received', { message: m.toMessage() }),
  });
  svc.dispatcher.addMatch({
    expr: 'HELLO',
    callback: (m) => {
      const hi = new Message();
      hi.setCommand('HI');
      hi.replyTo(m);
      hi.addParameter('greeting', props?.greeting ?? 'hello from example');
      if (hi.service !== '') svc.send(hi);
      svc.log.info('HELLO received', { from: `${m.sentFromServer}:${m.sentFromService}` });
    },
  });
  // Test hook: CRASH makes the callback throw, so the supervisor restarts the service.
  svc.dispatcher.addMatch({
    expr: 'CRASH',
    callback: () => {
      throw new Error('CRASH requested');
    },
  });
});
