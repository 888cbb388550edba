// The live samples: /console/events through EventSource. The browser reconnects by itself after a
// network hiccup; when it gives up (readyState CLOSED: the server refused the stream), the session
// may have ended, so ask before opening a new stream.
import { currentSession } from './session.js';
import type { Sample, SampleHistory } from './types.js';

export type StreamState = 'connecting' | 'live' | 'reconnecting';

export interface StreamHandlers {
  history(history: SampleHistory): void;
  sample(sample: Sample): void;
  state(state: StreamState): void;
  /** GET /console/session answered 401 after the stream closed. */
  sessionEnded(): void;
}

const EVENTS_URL = '/console/events';
/** How long to wait before opening a new stream after the server closed one. */
const REOPEN_DELAY_MS = 3000;

function parse<T>(event: Event): T | undefined {
  try {
    return JSON.parse((event as MessageEvent<string>).data) as T;
  } catch {
    // A malformed event is dropped rather than ending the stream.
    return undefined;
  }
}

/** Opens the stream; the returned function closes it for good. */
export function openEventStream(handlers: StreamHandlers): () => void {
  let source: EventSource | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;

  const reopenIfSignedIn = async (): Promise<void> => {
    let signedIn = true;
    try {
      signedIn = (await currentSession()) !== null;
    } catch {
      // The server is unreachable or failing: keep trying the stream, which tells us when it is back.
    }
    if (stopped) return;
    if (!signedIn) handlers.sessionEnded();
    else timer = setTimeout(open, REOPEN_DELAY_MS);
  };

  const open = (): void => {
    handlers.state('connecting');
    const current = new EventSource(EVENTS_URL);
    source = current;
    current.addEventListener('open', () => handlers.state('live'));
    current.addEventListener('history', (event) => {
      const history = parse<SampleHistory>(event);
      if (history !== undefined) handlers.history(history);
    });
    current.addEventListener('sample', (event) => {
      const sample = parse<Sample>(event);
      if (sample !== undefined) handlers.sample(sample);
    });
    // The server's word that the session ended (signed out elsewhere, idle, reload): no need to ask.
    current.addEventListener('signed-out', () => {
      stopped = true;
      current.close();
      handlers.sessionEnded();
    });
    current.addEventListener('error', () => {
      if (stopped) return;
      handlers.state('reconnecting');
      if (current.readyState !== EventSource.CLOSED) return;
      current.close();
      void reopenIfSignedIn();
    });
  };

  open();
  return () => {
    stopped = true;
    clearTimeout(timer);
    source?.close();
  };
}
