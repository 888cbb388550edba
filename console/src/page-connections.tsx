// Connections: a filtered, paged table of this node's open connections, with kicks. The server
// pages by cursor, so "Previous page" walks back a stack of the cursors that led here.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { kickConnection, kickUser, listConnections } from './admin-api.js';
import { formatCount, formatTimestamp, plural } from './format.js';
import { useTools } from './tools.js';
import type { ClusterInfo, ConnectionFilter, ConnectionInfo, ConnectionPage, Protocol } from './types.js';

const NO_FILTER: ConnectionFilter = { user: '', host: '', listener: '', protocol: '' };
const PROTOCOLS: readonly Protocol[] = ['native', 'mqtt', 'http'];

export function ConnectionsPage({ cluster }: { readonly cluster: ClusterInfo }) {
  const tools = useTools();
  const [draft, setDraft] = useState<ConnectionFilter>(NO_FILTER);
  const [filter, setFilter] = useState<ConnectionFilter>(NO_FILTER);
  /** The `after` cursors of the pages before this one; the last is this page's. */
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const [page, setPage] = useState<ConnectionPage | null>(null);
  /** The number of the page shown (1-based): it changes with the rows, not when the next is asked for. */
  const [pageNumber, setPageNumber] = useState(1);
  const [loading, setLoading] = useState(false);
  /** Bumped to fetch the same page again (after a kick). */
  const [generation, setGeneration] = useState(0);
  const after = cursors[cursors.length - 1];
  const region = useRef<HTMLDivElement>(null);
  /** Set by a kick: its button's row may be gone when the page reloads, taking focus with it. */
  const refocus = useRef(false);

  useEffect(() => {
    let current = true;
    setLoading(true);
    const number = cursors.length;
    void listConnections(filter, after)
      .then((answer) => {
        if (!current) return;
        // A kick can empty the last page: step back rather than show nothing.
        if (answer.connections.length === 0 && after !== undefined) setCursors((stack) => stack.slice(0, -1));
        setPage(answer);
        setPageNumber(number);
        if (refocus.current) {
          refocus.current = false;
          // Keep keyboard users in the table rather than back at the top of the document.
          setTimeout(() => {
            if (document.activeElement === null || document.activeElement === document.body) region.current?.focus();
          });
        }
      })
      .catch((error: unknown) => current && tools.fail(error, 'list connections'))
      .finally(() => current && setLoading(false));
    return () => {
      current = false;
    };
  }, [filter, after, generation, tools]);

  const apply = (event: SubmitEvent): void => {
    event.preventDefault();
    setFilter({ ...draft, user: draft.user.trim(), host: draft.host.trim(), listener: draft.listener.trim() });
    setCursors([undefined]);
    setGeneration((g) => g + 1);
  };

  const kickOne = useCallback(
    async (connection: ConnectionInfo) => {
      const who = connection.user === null || connection.user === '' ? '' : ` of ${connection.user}`;
      const confirmed = await tools.confirm({
        title: 'Kick connection?',
        message: `Close connection ${connection.id}${who} from ${connection.remoteAddress}? The Warden SDK does not reconnect after a kick; other clients may.`,
        verb: 'Kick',
      });
      if (!confirmed) return;
      try {
        const result = await kickConnection(connection.id);
        tools.announce(
          result.disconnected === false || result.disconnected === 0
            ? `Connection ${connection.id} had already closed.`
            : `Closed connection ${connection.id}.`,
        );
      } catch (error) {
        tools.fail(error, `kick connection ${connection.id}`);
      }
      refocus.current = true;
      setGeneration((g) => g + 1);
    },
    [tools],
  );

  const kickAll = useCallback(
    async (user: string) => {
      const confirmed = await tools.confirm({
        title: `Kick all connections of ${user}?`,
        message: `Close every connection of ${user}${cluster.clustered ? ', on every node' : ''}? The Warden SDK does not reconnect after a kick; other clients may.`,
        verb: 'Kick',
      });
      if (!confirmed) return;
      try {
        const result = await kickUser(user);
        tools.announce(`Closed ${plural(result.disconnected, 'connection')} of ${user}.`);
      } catch (error) {
        tools.fail(error, `kick the connections of ${user}`);
      }
      refocus.current = true;
      setGeneration((g) => g + 1);
    },
    [tools, cluster.clustered],
  );

  const field = (key: 'user' | 'host' | 'listener') => ({
    value: draft[key],
    onInput: (event: Event) => setDraft({ ...draft, [key]: (event.currentTarget as HTMLInputElement).value }),
  });

  return (
    <>
      <h1 tabIndex={-1}>Connections</h1>
      <form class="filters" onSubmit={apply}>
        <div class="field">
          <label for="conn-user">User</label>
          <input id="conn-user" name="user" autoComplete="off" {...field('user')} />
        </div>
        <div class="field">
          <label for="conn-host">Host</label>
          <input id="conn-host" name="host" autoComplete="off" {...field('host')} />
        </div>
        <div class="field">
          <label for="conn-listener">Listener</label>
          <input id="conn-listener" name="listener" autoComplete="off" {...field('listener')} />
        </div>
        <div class="field">
          <label for="conn-protocol">Protocol</label>
          <select
            id="conn-protocol"
            name="protocol"
            value={draft.protocol}
            onChange={(event) => setDraft({ ...draft, protocol: event.currentTarget.value as Protocol | '' })}
          >
            <option value="">Any</option>
            {PROTOCOLS.map((p) => (
              <option key={p} value={p}>
                {p}
              </option>
            ))}
          </select>
        </div>
        <button type="submit" class="primary">
          Apply
        </button>
      </form>
      <p class="count" aria-busy={loading}>
        {page === null ? (loading ? 'Loading…' : '') : plural(page.total, 'connection')}
        {cluster.clustered && ` on this node (${cluster.node})`}
        {page !== null && pageNumber > 1 && `, page ${formatCount(pageNumber)}`}
      </p>
      <div
        ref={region}
        class="table-wrap"
        role="region"
        aria-labelledby="connections-caption"
        aria-busy={loading}
        tabIndex={0}
      >
        <table>
          <caption id="connections-caption">Connections</caption>
          <thead>
            <tr>
              <th scope="col">ID</th>
              <th scope="col">User</th>
              <th scope="col">Address</th>
              <th scope="col">Listener</th>
              <th scope="col">Vhost</th>
              <th scope="col">Protocol</th>
              <th scope="col">Client ID</th>
              <th scope="col" class="num">
                Subscriptions
              </th>
              <th scope="col" class="num">
                Queued bytes
              </th>
              <th scope="col">Connected</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {page?.connections.map((c) => (
              <ConnectionRow key={c.id} connection={c} onKick={kickOne} onKickAll={kickAll} />
            ))}
            {page !== null && page.connections.length === 0 && (
              <tr>
                <td colSpan={11} class="empty">
                  No connections match.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
      <div class="pager">
        <button
          type="button"
          disabled={cursors.length <= 1 || loading}
          onClick={() => setCursors((stack) => stack.slice(0, -1))}
        >
          Previous page
        </button>
        <button
          type="button"
          disabled={page?.next === undefined || loading}
          onClick={() => page?.next !== undefined && setCursors((stack) => [...stack, page.next])}
        >
          Next page
        </button>
      </div>
    </>
  );
}

interface RowProps {
  readonly connection: ConnectionInfo;
  readonly onKick: (connection: ConnectionInfo) => Promise<void>;
  readonly onKickAll: (user: string) => Promise<void>;
}

function ConnectionRow({ connection: c, onKick, onKickAll }: RowProps) {
  // '' is the identity of an implicit logon; null: not logged on yet. Neither names a user to kick.
  const user = c.user === null || c.user === '' ? null : c.user;
  return (
    <tr>
      <td>
        <code>{c.id}</code>
      </td>
      <td>
        {c.user === null ? (
          <span class="muted">not logged on</span>
        ) : c.user === '' ? (
          <span class="muted">(implicit)</span>
        ) : (
          c.user
        )}
      </td>
      <td>{c.remoteAddress}</td>
      <td>{c.listener}</td>
      <td>{c.vhost ?? <span class="muted">–</span>}</td>
      <td>
        {c.protocol}
        {c.version !== null && <span class="muted"> {c.version}</span>}
      </td>
      <td>{c.clientId ?? <span class="muted">–</span>}</td>
      <td class="num">{formatCount(c.subscriptions)}</td>
      <td class="num">{formatCount(c.queuedBytes)}</td>
      <td>
        <time dateTime={c.connectedAt}>{formatTimestamp(c.connectedAt)}</time>
      </td>
      <td class="actions">
        <button
          type="button"
          class="danger small"
          aria-label={`Kick connection ${c.id}`}
          onClick={() => void onKick(c)}
        >
          Kick
        </button>
        {user !== null && (
          <button
            type="button"
            class="danger small"
            aria-label={`Kick all connections of ${user}`}
            onClick={() => void onKickAll(user)}
          >
            Kick all
          </button>
        )}
      </td>
    </tr>
  );
}
