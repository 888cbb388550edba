// The signed-in console: header and navigation, the live regions, the confirmation dialog, the
// event stream (kept open across pages, so the charts' history survives navigation) and the page.
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { clusterInfo } from './admin-api.js';
import { ConfirmDialog } from './confirm-dialog.js';
import { openEventStream, type StreamState } from './event-stream.js';
import { describeError, SessionEndedError } from './http.js';
import { ConnectionsPage } from './page-connections.js';
import { EntitlementsPage } from './page-entitlements.js';
import { ExplainPage } from './page-explain.js';
import { OverviewPage } from './page-overview.js';
import { VhostsPage } from './page-vhosts.js';
import { href, ROUTES, useRoute, type Route } from './router.js';
import { addSample, DEFAULT_WINDOW_MS, trimWindow } from './samples.js';
import { ToolsContext, type ConfirmRequest, type ConsoleTools } from './tools.js';
import type { ClusterInfo, Sample } from './types.js';

interface Props {
  readonly user: string;
  readonly onSignOut: () => void;
  /** The stream found the session over. */
  readonly onSessionEnded: () => void;
}

interface PendingConfirm {
  readonly request: ConfirmRequest;
  readonly resolve: (confirmed: boolean) => void;
}

export function Shell({ user, onSignOut, onSessionEnded }: Props) {
  const route = useRoute();
  const [samples, setSamples] = useState<Sample[]>([]);
  const [streamState, setStreamState] = useState<StreamState>('connecting');
  const [intervalMs, setIntervalMs] = useState<number | null>(null);
  const [windowMs, setWindowMs] = useState(DEFAULT_WINDOW_MS);
  const windowRef = useRef(windowMs);
  const [cluster, setCluster] = useState<ClusterInfo>({ clustered: false });
  const [status, setStatus] = useState('');
  const [alert, setAlert] = useState('');
  const [pending, setPending] = useState<PendingConfirm | null>(null);
  const pendingRef = useRef<PendingConfirm | null>(null);
  const main = useRef<HTMLElement>(null);
  const sessionEnded = useRef(onSessionEnded);
  sessionEnded.current = onSessionEnded;

  useEffect(
    () =>
      openEventStream({
        history: (history) => {
          setIntervalMs(history.intervalMs);
          windowRef.current = history.historyMs;
          setWindowMs(history.historyMs);
          setSamples(trimWindow(history.samples, history.historyMs));
        },
        sample: (sample) => setSamples((window) => addSample(window, sample, windowRef.current)),
        state: setStreamState,
        sessionEnded: () => sessionEnded.current(),
      }),
    [],
  );

  useEffect(() => {
    // Whether there are other nodes to name; an admin not entitled to ask just sees one node.
    clusterInfo().then(setCluster, () => {});
  }, []);

  // A new page: results and failures of the last one no longer apply, and focus moves to the new
  // heading so keyboard and screen-reader users start at the top of what changed.
  const firstRoute = useRef(true);
  useEffect(() => {
    if (firstRoute.current) {
      firstRoute.current = false;
      return;
    }
    setStatus('');
    setAlert('');
    main.current?.querySelector<HTMLElement>('h1')?.focus();
  }, [route]);

  const tools = useMemo<ConsoleTools>(
    () => ({
      announce: (message) => {
        setAlert('');
        setStatus(message);
      },
      fail: (error, action) => {
        if (error instanceof SessionEndedError) return;
        setStatus('');
        setAlert(describeError(error, action));
      },
      confirm: (request) =>
        new Promise<boolean>((resolve) => {
          pendingRef.current?.resolve(false);
          pendingRef.current = { request, resolve };
          setPending(pendingRef.current);
        }),
    }),
    [],
  );

  // Called once by a button, and again (false) when the dialog then closes: only the first counts.
  const answer = useCallback((confirmed: boolean) => {
    const current = pendingRef.current;
    pendingRef.current = null;
    setPending(null);
    current?.resolve(confirmed);
  }, []);

  const skipToContent = (event: MouseEvent): void => {
    // The hash is the router's: move focus without navigating to "#main".
    event.preventDefault();
    main.current?.focus();
  };

  const latest = samples[samples.length - 1];
  return (
    <ToolsContext.Provider value={tools}>
      <a class="skip-link" href="#main" onClick={skipToContent}>
        Skip to content
      </a>
      <header class="topbar">
        <p class="brand">
          Warden <span class="brand-sub">console</span>
        </p>
        <nav aria-label="Console">
          <ul>
            {ROUTES.map(({ route: target, label }) => (
              <li key={target}>
                <a href={href(target)} aria-current={target === route ? 'page' : undefined}>
                  {label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div class="account">
          <span class="signed-in">Signed in as {user}</span>
          <button type="button" onClick={onSignOut}>
            Sign out
          </button>
        </div>
      </header>
      <div class="messages">
        <div role="status" aria-live="polite" class="status">
          {status}
        </div>
        {alert !== '' && (
          <div role="alert" class="alert">
            <span>{alert}</span>
            <button type="button" class="dismiss" onClick={() => setAlert('')}>
              Dismiss
            </button>
          </div>
        )}
      </div>
      <main id="main" ref={main} tabIndex={-1}>
        <Page
          route={route}
          samples={samples}
          latest={latest}
          streamState={streamState}
          intervalMs={intervalMs}
          windowMs={windowMs}
          cluster={cluster}
        />
      </main>
      <ConfirmDialog request={pending?.request ?? null} onAnswer={answer} />
    </ToolsContext.Provider>
  );
}

interface PageProps {
  readonly route: Route;
  readonly samples: readonly Sample[];
  readonly latest: Sample | undefined;
  readonly streamState: StreamState;
  readonly intervalMs: number | null;
  readonly windowMs: number;
  readonly cluster: ClusterInfo;
}

function Page({ route, samples, latest, streamState, intervalMs, windowMs, cluster }: PageProps) {
  switch (route) {
    case 'overview':
      return <OverviewPage samples={samples} streamState={streamState} intervalMs={intervalMs} windowMs={windowMs} />;
    case 'connections':
      return <ConnectionsPage cluster={cluster} />;
    case 'entitlements':
      return <EntitlementsPage latest={latest} cluster={cluster} />;
    case 'explain':
      return <ExplainPage />;
    case 'vhosts':
      return <VhostsPage />;
  }
}
