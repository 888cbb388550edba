// Entitlements: the cache and module counters, reset, disable and enable, and the audit log of
// admin actions. The counters follow the live samples; the audit log is refetched when a
// sample's auditSeq says something new was audited.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import {
  auditLog,
  entitlementStatus,
  listConnections,
  resetEntitlements,
  setEntitlementsEnabled,
} from './admin-api.js';
import { ApiError } from './http.js';
import { compactJson, formatCount, formatTimestamp, plural, possessive } from './format.js';
import { useTools } from './tools.js';
import type { AuditLog, ClusterInfo, EntitlementStatus, NodesOutcome, ResetMode, Sample } from './types.js';

const DISABLE_MESSAGE =
  'While entitlements are disabled, every logon, subscription and publish is allowed with full permissions, ' +
  'no filters or select lists apply to new subscriptions, and nothing is cached, until you enable them again.';
const ENABLE_MESSAGE =
  'Enabling starts the entitlement modules afresh and clears the cache; open connections and subscriptions ' +
  'are kept as they are, so run a reset afterwards to apply the current policy to them.';

/** " Applied on 2 of 3 nodes; missing: c; failed: b (timeout)." or '' outside a cluster. */
function nodesSummary(nodes: NodesOutcome | undefined): string {
  if (nodes === undefined) return '';
  let text = ` Applied on ${formatCount(nodes.applied)} of ${plural(nodes.of, 'node')}`;
  if (nodes.missing.length > 0) text += `; missing: ${nodes.missing.join(', ')}`;
  if (nodes.failed.length > 0) text += `; failed: ${nodes.failed.map((f) => `${f.node} (${f.error})`).join(', ')}`;
  return `${text}.`;
}

interface Props {
  readonly latest: Sample | undefined;
  readonly cluster: ClusterInfo;
}

export function EntitlementsPage({ latest, cluster }: Props) {
  const tools = useTools();
  const [status, setStatus] = useState<EntitlementStatus | null>(null);
  const [audit, setAudit] = useState<AuditLog | null>(null);
  const [resetUser, setResetUser] = useState('');
  const [resetMode, setResetMode] = useState<ResetMode>('disconnect');
  const [busy, setBusy] = useState(false);
  const auditSeq = useRef<number | undefined>(undefined);

  const loadStatus = useCallback(async () => {
    try {
      setStatus(await entitlementStatus());
    } catch (error) {
      tools.fail(error, 'read the entitlement status');
    }
  }, [tools]);

  const loadAudit = useCallback(async () => {
    try {
      setAudit(await auditLog(50));
    } catch (error) {
      tools.fail(error, 'read the audit log');
    }
  }, [tools]);

  useEffect(() => {
    void loadStatus();
    void loadAudit();
  }, [loadStatus, loadAudit]);

  // Each sample carries the same counters: fresher than the GET, and without asking again.
  useEffect(() => {
    if (latest === undefined) return;
    setStatus({
      enabled: latest.entitlementsEnabled,
      cache: latest.cache,
      moduleCalls: latest.moduleCalls,
      failures: latest.moduleFailures,
    });
    if (auditSeq.current !== undefined && auditSeq.current !== latest.auditSeq) void loadAudit();
    auditSeq.current = latest.auditSeq;
  }, [latest, loadAudit]);

  const afterAction = (): void => {
    void loadStatus();
    void loadAudit();
  };

  const reset = async (event: SubmitEvent): Promise<void> => {
    event.preventDefault();
    const user = resetUser.trim() === '' ? undefined : resetUser.trim();
    const who = user ?? 'everyone';
    const onThisNode = cluster.clustered ? ' (on this node; other nodes close theirs too)' : '';
    setBusy(true);
    try {
      // How many connections the reset closes, so the dialog can say so (an admin who may not list
      // connections still gets the dialog, without the number).
      let total: number | null = null;
      try {
        ({ total } = await listConnections(user === undefined ? {} : { user }, undefined, 1));
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
      }
      const confirmed = await tools.confirm({
        title: 'Reset entitlements?',
        message: resetMessage(who, resetMode, total, onThisNode),
        verb: 'Reset',
      });
      if (!confirmed) return;
      const result = await resetEntitlements(user, resetMode);
      const moduleErrors =
        result.moduleErrors !== undefined && result.moduleErrors.length > 0
          ? ` Module errors: ${result.moduleErrors.map((m) => `${m.module}: ${m.error}`).join('; ')}.`
          : '';
      const revoked =
        result.subscriptionsRevoked === undefined
          ? ''
          : ` Ended ${plural(result.subscriptionsRevoked, 'subscription')} no longer entitled.`;
      tools.announce(
        `Reset entitlements for ${who}: closed ${plural(result.disconnected, 'connection')}.` +
          revoked +
          moduleErrors +
          nodesSummary(result.nodes),
      );
      setResetUser('');
    } catch (error) {
      tools.fail(error, `reset the entitlements of ${who}`);
    } finally {
      setBusy(false);
      afterAction();
    }
  };

  const setEnabled = async (enabled: boolean): Promise<void> => {
    const verb = enabled ? 'Enable' : 'Disable';
    const confirmed = await tools.confirm({
      title: `${verb} entitlements?`,
      message: enabled ? ENABLE_MESSAGE : DISABLE_MESSAGE,
      verb,
    });
    if (!confirmed) return;
    setBusy(true);
    try {
      const result = await setEntitlementsEnabled(enabled);
      tools.announce(`Entitlements ${result.enabled ? 'enabled' : 'disabled'}.${nodesSummary(result.nodes)}`);
    } catch (error) {
      tools.fail(error, `${verb.toLowerCase()} entitlements`);
    } finally {
      setBusy(false);
      afterAction();
    }
  };

  return (
    <>
      <h1 tabIndex={-1}>Entitlements</h1>
      <section aria-labelledby="cache-heading" class="panel">
        <h2 id="cache-heading">Cache</h2>
        <dl class="facts">
          <div>
            <dt>Status</dt>
            <dd>{status === null ? '–' : status.enabled ? 'Enabled' : 'Disabled'}</dd>
          </div>
          <div>
            <dt>Size</dt>
            <dd>{status === null ? '–' : formatCount(status.cache.size)}</dd>
          </div>
          <div>
            <dt>Hits</dt>
            <dd>{status === null ? '–' : formatCount(status.cache.hits)}</dd>
          </div>
          <div>
            <dt>Misses</dt>
            <dd>{status === null ? '–' : formatCount(status.cache.misses)}</dd>
          </div>
          <div>
            <dt>Module calls</dt>
            <dd>{status === null ? '–' : formatCount(status.moduleCalls)}</dd>
          </div>
          <div>
            <dt>Module failures</dt>
            <dd>{status === null ? '–' : formatCount(status.failures)}</dd>
          </div>
        </dl>
        <form class="inline-form" onSubmit={(event) => void reset(event)}>
          <div class="field">
            <label for="reset-user">User (leave empty for everyone)</label>
            <input
              id="reset-user"
              name="user"
              autoComplete="off"
              value={resetUser}
              onInput={(event) => setResetUser(event.currentTarget.value)}
            />
          </div>
          <div class="field">
            <label for="reset-mode">Mode</label>
            <select
              id="reset-mode"
              name="mode"
              value={resetMode}
              onChange={(event) => setResetMode(event.currentTarget.value as ResetMode)}
            >
              <option value="disconnect">Disconnect (AMPS)</option>
              <option value="reevaluate">Re-evaluate (keep connections)</option>
            </select>
          </div>
          <button type="submit" class="danger" disabled={busy}>
            Reset entitlements
          </button>
        </form>
        <div class="button-row">
          <button
            type="button"
            class="danger"
            disabled={busy || status === null || !status.enabled}
            onClick={() => void setEnabled(false)}
          >
            Disable entitlements
          </button>
          <button
            type="button"
            disabled={busy || status === null || status.enabled}
            onClick={() => void setEnabled(true)}
          >
            Enable entitlements
          </button>
        </div>
      </section>
      <section aria-labelledby="audit-heading" class="panel">
        <h2 id="audit-heading">Recent admin actions</h2>
        {audit !== null && !audit.enabled ? (
          <p>The audit log is off (audit.enabled: false)</p>
        ) : (
          <div class="table-wrap" role="region" aria-labelledby="audit-caption" tabIndex={0}>
            <table>
              <caption id="audit-caption">Recent admin actions</caption>
              <thead>
                <tr>
                  <th scope="col">Time</th>
                  <th scope="col">Admin</th>
                  <th scope="col">Action</th>
                  <th scope="col">Path</th>
                  <th scope="col">Status</th>
                  <th scope="col">Result</th>
                </tr>
              </thead>
              <tbody>
                {audit?.entries.map((entry, i) => (
                  <tr key={`${entry.at}-${i}`}>
                    <td>
                      <time dateTime={entry.at}>{formatTimestamp(entry.at)}</time>
                    </td>
                    <td>{entry.user ?? <span class="muted">–</span>}</td>
                    <td>{entry.action ?? entry.method}</td>
                    <td>
                      <code>
                        {entry.method} {entry.path}
                      </code>
                    </td>
                    <td>
                      {entry.status} {entry.outcome}
                    </td>
                    <td>
                      {entry.result === undefined ? (
                        <span class="muted">–</span>
                      ) : (
                        <code class="result">{compactJson(entry.result)}</code>
                      )}
                    </td>
                  </tr>
                ))}
                {audit !== null && audit.entries.length === 0 && (
                  <tr>
                    <td colSpan={6} class="empty">
                      No admin actions yet.
                    </td>
                  </tr>
                )}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </>
  );
}

/** What the reset confirmation says it will do, with how many connections when the admin may list them. */
function resetMessage(who: string, mode: ResetMode, total: number | null, onThisNode: string): string {
  const cleared = `This clears ${possessive(who)} cached entitlements`;
  if (mode === 'reevaluate') {
    const held = total === null ? 'the open connections' : `${plural(total, 'open connection')}${onThisNode}`;
    return (
      `Re-evaluate entitlements for ${who}? ${cleared} and asks the module again for what ${held} hold: ` +
      'only a connection whose logon is now denied closes, and subscriptions whose read is now denied end.'
    );
  }
  const closes =
    total === null
      ? 'closes their connections, which reconnect'
      : `closes ${plural(total, 'connection')}${onThisNode}, which ${total === 1 ? 'reconnects' : 'reconnect'}`;
  return `Reset entitlements for ${who}? ${cleared} and ${closes} under the current policy.`;
}
