// A live reload's plan, without a broker: what differs between two configs, which of the
// differences may be applied live (the table in docs/admin.md, "Live reload"), and how values are
// shown when they may not (secrets masked).
import { describe, expect, it } from 'vitest';
import { diffConfig } from '../../server/config/config-diff.js';
import { configSecretPaths, parseConfig } from '../../server/config/index.js';
import { formatKeyPath } from '../../server/config/key-path.js';
import { workerConfig } from '../../server/cli/workers.js';
import { verdictFor } from '../../server/reload/live-keys.js';
import { maskedValue } from '../../server/reload/masked-value.js';

const LISTENER = { name: 'native', protocol: 'native', host: '127.0.0.1', port: 8800 } as const;

function differences(before: unknown, after: unknown): { key: string; old: unknown; new: unknown }[] {
  return diffConfig(parseConfig(before), parseConfig(after)).map((d) => ({
    key: formatKeyPath(d.path),
    old: d.old,
    new: d.new,
  }));
}

describe('diffConfig', () => {
  it('finds nothing between a config and itself, and the changed leaves otherwise', () => {
    const config = { listeners: [LISTENER], admission: { maxConnections: 10 } };
    expect(differences(config, config)).toEqual([]);
    expect(differences(config, { listeners: [{ ...LISTENER, port: 8900 }], admission: { maxConnections: 5 } })).toEqual(
      [
        { key: 'listeners[0].port', old: 8800, new: 8900 },
        { key: 'admission.maxConnections', old: 10, new: 5 },
      ],
    );
  });

  it('gives a key that appears or goes whole, with undefined on the side it is missing from', () => {
    const withOwn = { listeners: [{ ...LISTENER, entitlement: { module: 'allow-all' } }] };
    expect(differences({ listeners: [LISTENER] }, withOwn)).toEqual([
      { key: 'listeners[0].entitlement', old: undefined, new: { module: 'allow-all', options: {} } },
    ]);
    expect(
      differences({ listeners: [LISTENER] }, { listeners: [LISTENER, { ...LISTENER, name: 'b', port: 1 }] }),
    ).toHaveLength(1);
  });

  it('compares lists by position: a user appended is one new entry', () => {
    const users = (names: string[]) => ({
      security: { authentication: { module: 'users', options: { users: names.map((name) => ({ name })) } } },
    });
    expect(differences(users(['alice']), users(['alice', 'bob']))).toEqual([
      { key: 'security.authentication.options.users[1]', old: undefined, new: { name: 'bob' } },
    ]);
  });
});

describe('verdictFor: the live keys', () => {
  const live = (key: (string | number)[]): boolean => verdictFor(key).live;
  const reason = (key: (string | number)[]): string => {
    const verdict = verdictFor(key);
    if (verdict.live) throw new Error(`${formatKeyPath(key)} is live`);
    return verdict.reason;
  };

  it.each([
    [['log', 'level']],
    [['reload', 'reset']],
    [['admission', 'maxConnections']],
    [['admission', 'userLimits', 'users', 'alice']],
    [['limits', 'public', 'maxSubscriptions']],
    [['security', 'authentication', 'options', 'usersFile']],
    [['security', 'entitlement', 'module']],
    [['listeners', 1, 'entitlement', 'options', 'file']],
    [['admin', 'authentication', 'options', 'users', 0]],
    [['tls', 'profiles', 'main', 'certificate']],
    [['tls', 'profiles', 'main', 'minVersion']],
  ])('%j is live', (key) => {
    expect(live(key)).toBe(true);
  });

  it.each([
    [
      ['listeners', 0, 'port'],
      'listeners are bound at start (only their authentication and entitlement modules are live)',
    ],
    [['listeners', 2], 'listeners are bound at start (only their authentication and entitlement modules are live)'],
    [
      ['listeners', 0, 'entitlement'],
      'adding or removing an own module changes which module open connections are set up with',
    ],
    [
      ['admin', 'authentication'],
      'adding or removing an own module changes which module open connections are set up with',
    ],
    [
      ['admin', 'port'],
      'the admin listener is bound at start (only its authentication and entitlement modules are live)',
    ],
    [
      ['tls', 'profiles', 'spare'],
      'adding or removing a TLS profile: listeners take their profile when they are bound',
    ],
    [['log', 'format'], 'the log output is set up at start (only log.level is live)'],
    [['security', 'entitlementCache', 'ttlMs'], expect.stringMatching(/^the entitlement cache/)],
    [['persistence', 'store'], 'the store is opened at start'],
    [['cluster', 'redis', 'url'], "the cluster's Redis connection and node id are set at start"],
    [['mqtt', 'retained', 'maxMessages'], expect.stringMatching(/^MQTT/)],
    [['topics', 'maxLevels'], 'the topic engine and its limits are built at start'],
    [['health', 'port'], 'the health probes are set up at start'],
    [['audit', 'destination'], 'the audit log is opened at start'],
  ])('%j needs a restart', (key, why) => {
    expect(reason(key)).toEqual(why);
  });
});

describe('maskedValue', () => {
  it('masks substituted values, credential keys, module options and URL passwords; shows the rest', () => {
    const secrets = [['cluster', 'redis', 'username']];
    expect(maskedValue(['listeners', 0, 'port'], 8800, secrets)).toBe(8800);
    expect(maskedValue(['cluster', 'redis', 'username'], 'warden', secrets)).toBe('<secret>');
    expect(maskedValue(['cluster', 'redis', 'password'], 'pw', [])).toBe('<secret>');
    expect(maskedValue(['cluster', 'redis', 'url'], 'redis://u:pw@redis:6379/0', [])).toBe(
      'redis://u:<secret>@redis:6379/0',
    );
    expect(
      maskedValue(['listeners', 0, 'authentication'], { module: 'jwt', options: { secret: 's', issuer: 'i' } }, []),
    ).toEqual({ module: 'jwt', options: '<secret>' });
    expect(
      maskedValue(['tls', 'profiles', 'p'], { certificate: 'c.pem', privateKey: 'k.pem', passphrase: 'x' }, []),
    ).toEqual({ certificate: 'c.pem', privateKey: 'k.pem', passphrase: '<secret>' });
  });

  it('knows what a parsed config substituted, including after parsing it again', () => {
    const config = parseConfig({ broker: { name: '${env:NAME}' } }, { env: { NAME: 'edge-1' } });
    expect(configSecretPaths(config)).toEqual([['broker', 'name']]);
    const again = parseConfig(config);
    expect(maskedValue(['broker', 'name'], again.broker.name, configSecretPaths(again))).toBe('<secret>');
  });

  it("keeps them in a worker's config (its own node id), which is parsed again at start", () => {
    const config = parseConfig(
      { persistence: { path: '${env:DATA}' }, cluster: { redis: { url: 'redis://127.0.0.1:6379' } } },
      { env: { DATA: '/srv/data' } },
    );
    const worker = parseConfig(workerConfig(config, 2, 'host-a'));
    expect(worker.cluster?.nodeId).toBe('host-a-w2');
    expect(configSecretPaths(worker)).toEqual([['persistence', 'path']]);
  });
});
