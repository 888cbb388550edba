// The AMQ Interconnect security guide's vhost examples in Warden's syntax, shared by the unit
// tests of the rules and the tests against a real broker, so both try the same policy.

/** Example 7.5, "User Groups in a Vhost Policy" (the same groups as Example 7.6's JSON file). */
export const GROUPS_EXAMPLE = {
  hostname: 'example.com',
  maxConnections: 10000,
  maxConnectionsPerUser: 100,
  maxConnectionsPerHost: 100,
  allowUnknownUser: true,
  groups: {
    admin: { users: 'admin1, admin2', remoteHosts: '127.0.0.1, ::1', sources: '#', targets: '#' },
    developers: {
      users: 'dev1, dev2, dev3',
      remoteHosts: '*',
      sources: 'myqueue1, myqueue2',
      targets: 'myqueue1, myqueue2',
    },
    $default: {
      remoteHosts: '*',
      allowAdminStatusUpdate: true,
      sources: 'myqueue1, myqueue2',
      targets: 'myqueue1, myqueue2',
    },
  },
};
