// bench:http's subscriber: a native SDK client (msgpack) subscribed to the publish topic, in a
// process of its own so that decoding deliveries does not slow the load generator. Started with
// fork(URL, TOPIC); says {ready: true} once subscribed, answers {count} to each 'count' message,
// and exits on 'stop'.
import { connect } from '../../client/index.js';

const [url, topic] = process.argv.slice(2);
if (url === undefined || topic === undefined) throw new Error('usage: subscriber.js URL TOPIC');
let count = 0;
const client = await connect(url, { user: 'bench-subscriber', password: 'x', encoding: 'msgpack', reconnect: false });
await client.subscribe({ topic }, () => {
  count++;
});
process.send!({ ready: true });
process.on('message', (message: unknown) => {
  if (message === 'count') process.send!({ count });
  else if (message === 'stop')
    client.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
});
