// The broker configuration the fuzzer attacks: a native WebSocket listener and an MQTT TCP listener
// at their default limits, any credentials accepted (so a logon costs no scrypt and the fuzzer
// reaches the commands behind it), and a policy whose filters and select lists make the broker
// parse payloads on delivery and on publish.

/** The user the control clients log on as; the fuzzer never uses it. */
export const CONTROL_USER = 'warden-fuzz-control';
/** Users fuzz inputs log on as, each under a different part of the policy. */
export const FUZZ_USERS = ['fuzz', 'analyst', 'writer', 'shaper', ''] as const;

export const FUZZ_POLICY = {
  // Users in no group (every random name) read and write under fz/ in full.
  allowUnknownUser: true,
  groups: {
    $default: { grants: [{ actions: ['read', 'write'], topics: ['fz/#', 'ret/#'] }] },
    // A read filter and a select list: every delivery to them parses the payload.
    analysts: {
      users: ['analyst'],
      grants: [
        { actions: ['read'], topics: ['fz/#'], filter: 'px > 0 or sym = "a"', select: '-/,+/sym,+/px,+/n/m' },
        { actions: ['write'], topics: ['fz/#'] },
      ],
    },
    // A write filter: every publish by them parses the payload.
    writers: { users: ['writer'], grants: [{ actions: ['read', 'write'], topics: ['fz/#'], filter: 'px >= 0' }] },
    // A select list that removes one field, without a filter.
    shapers: { users: ['shaper'], grants: [{ actions: ['read', 'write'], topics: ['fz/#'], select: '-/secret' }] },
    // Only the control user reaches ctl/: no grant above covers it.
    control: { users: [CONTROL_USER], grants: [{ actions: ['read', 'write'], topics: ['ctl/#', 'fz/#'] }] },
  },
};

/** The config file's content (JSON is YAML), on ephemeral 127.0.0.1 ports. */
export function fuzzBrokerConfig(): Record<string, unknown> {
  return {
    broker: { name: 'warden-fuzz' },
    // Info: the listeners announce their ports at info. A contained failure is logged at error
    // level; the fuzzer counts those lines.
    log: { level: 'info' },
    admin: { enabled: false },
    // Fuzz connections come at hundreds per second; a connection rate limit would refuse them
    // before they reach any parser.
    admission: { connectionRate: { perSecond: 0 } },
    security: {
      authentication: { module: 'allow-any' },
      entitlement: { module: 'policy', options: { policy: FUZZ_POLICY } },
    },
    listeners: [
      { name: 'native', protocol: 'native', transport: 'ws', host: '127.0.0.1', port: 0 },
      { name: 'mqtt', protocol: 'mqtt', transport: 'tcp', host: '127.0.0.1', port: 0 },
    ],
  };
}
