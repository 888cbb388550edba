// Explain: why would this user be allowed or denied this action? The broker asks the entitlement
// module as check() would, reads the cache, and changes neither.
import { useState } from 'preact/hooks';
import { explain } from './admin-api.js';
import { formatAge, formatMs, formatTimestamp } from './format.js';
import { ApiError, describeError, SessionEndedError } from './http.js';
import type { Explanation, ExplainAction, ExplainQuestion } from './types.js';

const ACTIONS: readonly ExplainAction[] = ['logon', 'read', 'write', 'admin'];

export function ExplainPage() {
  const [user, setUser] = useState('');
  const [action, setAction] = useState<ExplainAction>('read');
  const [topic, setTopic] = useState('');
  const [path, setPath] = useState('');
  const [listener, setListener] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<Explanation | null>(null);

  const submit = async (event: SubmitEvent): Promise<void> => {
    event.preventDefault();
    // Only the fields that go with the action: the server refuses the others.
    const question: ExplainQuestion = {
      user,
      action,
      ...(action === 'read' || action === 'write' ? { topic } : {}),
      ...(action === 'admin' ? { path } : {}),
      ...(listener.trim() !== '' ? { listener: listener.trim() } : {}),
    };
    setBusy(true);
    setError('');
    try {
      setResult(await explain(question));
    } catch (failure) {
      if (failure instanceof SessionEndedError) return;
      setResult(null);
      // A 400 says which field is wrong: its message is the whole story.
      setError(
        failure instanceof ApiError && failure.status === 400 ? failure.message : describeError(failure, 'explain'),
      );
    } finally {
      setBusy(false);
    }
  };

  const resource = action === 'read' || action === 'write' ? 'topic' : action === 'admin' ? 'path' : null;
  return (
    <>
      <h1 tabIndex={-1}>Explain</h1>
      <form class="explain-form" onSubmit={(event) => void submit(event)}>
        <div class="field">
          <label for="explain-user">User</label>
          <input
            id="explain-user"
            name="user"
            autoComplete="off"
            value={user}
            onInput={(event) => setUser(event.currentTarget.value)}
          />
        </div>
        <div class="field">
          <label for="explain-action">Action</label>
          <select
            id="explain-action"
            name="action"
            value={action}
            onChange={(event) => setAction(event.currentTarget.value as ExplainAction)}
          >
            {ACTIONS.map((a) => (
              <option key={a} value={a}>
                {a}
              </option>
            ))}
          </select>
        </div>
        {resource === 'topic' && (
          <div class="field">
            <label for="explain-topic">Topic</label>
            <input
              id="explain-topic"
              name="topic"
              autoComplete="off"
              required
              value={topic}
              onInput={(event) => setTopic(event.currentTarget.value)}
            />
          </div>
        )}
        {resource === 'path' && (
          <div class="field">
            <label for="explain-path">Path</label>
            <input
              id="explain-path"
              name="path"
              autoComplete="off"
              required
              placeholder="/admin/connections"
              value={path}
              onInput={(event) => setPath(event.currentTarget.value)}
            />
          </div>
        )}
        <div class="field">
          <label for="explain-listener">Listener (optional)</label>
          <input
            id="explain-listener"
            name="listener"
            autoComplete="off"
            value={listener}
            onInput={(event) => setListener(event.currentTarget.value)}
          />
        </div>
        <button type="submit" class="primary" disabled={busy}>
          Explain
        </button>
      </form>
      {error !== '' && (
        <p role="alert" class="form-error">
          {error}
        </p>
      )}
      <section aria-labelledby="explain-result" class="panel result" aria-busy={busy}>
        <h2 id="explain-result">Result</h2>
        {result === null ? (
          <p class="muted">Ask a question to see the decision.</p>
        ) : (
          <ExplanationView result={result} />
        )}
      </section>
    </>
  );
}

function ExplanationView({ result: r }: { readonly result: Explanation }) {
  const { request, cache, rule } = r;
  return (
    <>
      <p class={`decision decision-${r.decision}`} data-decision={r.decision}>
        Decision: <strong>{r.decision}</strong>
      </p>
      <dl class="explanation">
        <dt>Question</dt>
        <dd>
          {request.user === '' ? '(implicit logon)' : request.user}: {request.action}
          {request.resource !== '' && (
            <>
              {' '}
              {request.resourceType} <code>{request.resource}</code>
            </>
          )}
        </dd>
        <dt>Module</dt>
        <dd>
          {r.module}, configured at <code>{r.moduleConfig}</code>
          {!r.entitlementsEnabled && ' (entitlements are disabled: everything is allowed)'}
        </dd>
        {r.reason !== undefined && (
          <>
            <dt>Reason</dt>
            <dd>{r.reason}</dd>
          </>
        )}
        {r.error !== undefined && (
          <>
            <dt>Module error</dt>
            <dd>{r.error} (the broker denies, and does not cache the failure)</dd>
          </>
        )}
        <dt>Rule</dt>
        <dd>
          {rule === undefined ? (
            'The module does not say which rule decided.'
          ) : rule === null ? (
            "No rule matched: the module's default answer"
          ) : (
            <>
              {rule.effect} at <code>{rule.location}</code>
              {rule.group !== undefined && <> through group {rule.group}</>}
              {rule.user !== undefined && <> for user {rule.user}</>}
              {rule.pattern !== undefined && (
                <>
                  , pattern <code>{rule.pattern}</code>
                </>
              )}
              <br />
              <code class="rule-text">{rule.text}</code>
            </>
          )}
        </dd>
        <dt>Filter</dt>
        <dd>{r.filter === null ? 'none' : <code>{r.filter}</code>}</dd>
        <dt>Select list</dt>
        <dd>{r.select === null ? 'none' : <code>{r.select}</code>}</dd>
        <dt>Cache</dt>
        <dd>
          {cache.cached ? (
            <>
              Cached {formatTimestamp(cache.since)} ({formatAge(cache.ageMs)} ago): {cache.decision}, filter{' '}
              {cache.filter === null ? 'none' : <code>{cache.filter}</code>}, select{' '}
              {cache.select === null ? 'none' : <code>{cache.select}</code>}
            </>
          ) : (
            'Not cached'
          )}
        </dd>
        <dt>Module latency</dt>
        <dd>
          {r.moduleLatencyMs === null ? 'not measured (the module was not asked)' : `${formatMs(r.moduleLatencyMs)} ms`}
        </dd>
      </dl>
    </>
  );
}
