// Vhosts (docs/vhosts.md): each tenant with its connections and limits, and a reset of one vhost's
// entitlements, which touches that vhost's cache and connections only.
import { useCallback, useEffect, useState } from 'preact/hooks';
import { listVhosts, resetVhost } from './admin-api.js';
import { formatCount, plural } from './format.js';
import { useTools } from './tools.js';
import type { ResetMode, VhostInfo, VhostsReport } from './types.js';

export function VhostsPage() {
  const tools = useTools();
  const [report, setReport] = useState<VhostsReport | null>(null);
  const [mode, setMode] = useState<ResetMode>('disconnect');

  const load = useCallback(async () => {
    try {
      setReport(await listVhosts());
    } catch (error) {
      tools.fail(error, 'list the vhosts');
    }
  }, [tools]);

  useEffect(() => {
    void load();
  }, [load]);

  const reset = useCallback(
    async (vhost: VhostInfo) => {
      const confirmed = await tools.confirm({
        title: `Reset the entitlements of ${vhost.name}?`,
        message:
          mode === 'disconnect'
            ? `Clear ${vhost.name}'s entitlement cache and close its ${plural(vhost.connections, 'connection')}; other vhosts keep theirs.`
            : `Clear ${vhost.name}'s entitlement cache and ask its policy again for what its ${plural(vhost.connections, 'connection')} hold; only users now denied are closed.`,
        verb: 'Reset',
      });
      if (!confirmed) return;
      try {
        const result = await resetVhost(vhost.name, mode);
        tools.announce(`Reset ${vhost.name}: ${plural(result.disconnected, 'connection')} closed.`);
      } catch (error) {
        tools.fail(error, `reset ${vhost.name}`);
      }
      await load();
    },
    [tools, mode, load],
  );

  return (
    <>
      <h1 tabIndex={-1}>Vhosts</h1>
      {report !== null && !report.enabled && <p>Vhosts are off (vhosts.enabled in the configuration).</p>}
      {report !== null && report.enabled && (
        <>
          <div class="field">
            <label for="vhost-reset-mode">Reset mode</label>
            <select
              id="vhost-reset-mode"
              value={mode}
              onChange={(event) => setMode(event.currentTarget.value as ResetMode)}
            >
              <option value="disconnect">disconnect</option>
              <option value="reevaluate">reevaluate</option>
            </select>
          </div>
          <div class="table-wrap" role="region" aria-labelledby="vhosts-caption" tabIndex={0}>
            <table>
              <caption id="vhosts-caption">Vhosts</caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col" class="num">
                    Connections
                  </th>
                  <th scope="col" class="num">
                    Limit (per user, per host)
                  </th>
                  <th scope="col">Unknown users</th>
                  <th scope="col">Groups</th>
                  <th scope="col">Policy</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {report.vhosts.map((v) => (
                  <tr key={v.name}>
                    <td>
                      {v.name}
                      {v.default && <span class="muted"> (default)</span>}
                    </td>
                    <td class="num">{formatCount(v.connections)}</td>
                    <td class="num">
                      {formatCount(v.maxConnections)} ({formatCount(v.maxConnectionsPerUser)},{' '}
                      {formatCount(v.maxConnectionsPerHost)})
                    </td>
                    <td>{v.allowUnknownUser ? 'allowed' : 'refused'}</td>
                    <td>{v.groups.join(', ')}</td>
                    <td>
                      <code>{v.source}</code>
                    </td>
                    <td class="actions">
                      <button
                        type="button"
                        class="danger small"
                        aria-label={`Reset the entitlements of ${v.name}`}
                        onClick={() => void reset(v)}
                      >
                        Reset
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </>
  );
}
