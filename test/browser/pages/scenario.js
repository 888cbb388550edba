// The page side of test/browser/browser-bundles.test.ts: the SDK used as a page script would use
// it, through whichever bundle the page loaded (`scenario.use(Warden)`). The test drives it with
// page.evaluate('scenario.…'), so nothing here depends on how the test file is compiled.
'use strict';

// Counts the sockets the page's own WebSocket opens: the SDK must use it, not `ws`'s stub.
const PageWebSocket = window.WebSocket;
let socketsOpened = 0;
window.WebSocket = class CountingWebSocket extends PageWebSocket {
  constructor(url, protocols) {
    super(url, protocols);
    socketsOpened++;
  }
};

window.scenario = (() => {
  let Warden;
  let client;
  let resolveReady;
  const ready = new Promise((resolve) => (resolveReady = resolve));
  const messages = [];
  let wake = () => {};

  /** What the test checks of a message, as plain data (page.evaluate returns JSON-like values). */
  const seen = (message) => ({
    topic: message.topic,
    json: message.json(),
    text: message.text(),
    bytes: message.bytes === undefined ? null : Array.from(message.bytes),
    dataIsBytes: message.bytes !== undefined && message.data === message.bytes,
  });

  return {
    /** Resolves with the names the bundle exports once the page has loaded it. */
    ready,
    use(bundle) {
      Warden = bundle;
      resolveReady(Object.keys(bundle).sort());
    },
    async connect(url, encoding) {
      client = await Warden.connect(url, { user: 'browser', encoding });
      await client.subscribe({ topic: 'browser/#' }, (message) => {
        messages.push(seen(message));
        wake();
      });
      return { user: client.user, state: client.state, socketsOpened };
    },
    publish(topic, data) {
      return client.publish(topic, data, { ack: true });
    },
    /** The first message on `topic`, once it has arrived. */
    async next(topic) {
      for (;;) {
        const message = messages.find((m) => m.topic === topic);
        if (message !== undefined) return message;
        await new Promise((resolve) => (wake = resolve));
      }
    },
    async refusal(url) {
      try {
        await Warden.connect(url, { user: 'browser', reconnect: false });
        return null;
      } catch (error) {
        return { isWardenError: error instanceof Warden.WardenError, code: error.code };
      }
    },
    async close() {
      await client.close();
      return client.state;
    },
  };
})();
