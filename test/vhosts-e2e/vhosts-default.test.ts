// The default vhost for unknown hosts, the broker's global limit above the vhosts' own, and a
// vhost with an authentication module of its own (docs/vhosts.md).
import { expect, it } from 'vitest';
import type { WardenConfigInput } from '../../server/index.js';
import { hashPassword } from '../../server/security/authentication/password-hash.js';
import { TEST_TRANSPORT } from '../helpers/broker.js';
import { useVhostBroker } from './vhost-fixture.js';

const vh = useVhostBroker();

async function start(vhosts: WardenConfigInput['vhosts'], extra: Partial<WardenConfigInput> = {}): Promise<void> {
  await vh.start({
    vhosts,
    listeners: [{ name: 'native', protocol: 'native', transport: TEST_TRANSPORT, host: '127.0.0.1', port: 0 }],
    ...extra,
  });
}

const A_EXAMPLE = {
  hostname: 'a.example',
  groups: { traders: { users: ['alice'], remoteHosts: '*', sources: '#', targets: '#' } },
};

it('sends unknown hosts to the default vhost, with its own policy and namespace', async () => {
  await start({
    enabled: true,
    default: '$default',
    policies: [
      A_EXAMPLE,
      {
        hostname: '$default',
        allowUnknownUser: true,
        groups: { $default: { remoteHosts: '*', sources: 'public/#', targets: 'public/#' } },
      },
    ],
  });
  const zed = await vh.logon('unknown.example', 'zed');
  const yan = await vh.logon('other.example', 'yan');
  const alice = await vh.logon('a.example', 'alice');
  expect(await alice.request({ op: 'subscribe', rid: 1, sid: 1, topic: '#' })).toMatchObject({ op: 'ack' });
  expect(await yan.request({ op: 'subscribe', rid: 1, sid: 1, topic: 'public/#' })).toMatchObject({ op: 'ack' });
  expect(await zed.request({ op: 'subscribe', rid: 1, sid: 1, topic: 'private/x' })).toMatchObject({
    code: 'NOT_ENTITLED',
  });
  expect(await zed.request({ op: 'publish', rid: 2, topic: 'public/news', data: 'hi', ack: true })).toMatchObject({
    op: 'ack',
  });
  expect((await yan.messages(1))[0]).toMatchObject({ topic: 'public/news', data: 'hi' });
  // a.example's `#` did not see the default vhost's message: its next message is its own.
  const amy = await vh.logon('a.example', 'alice');
  expect(await amy.request({ op: 'publish', rid: 1, topic: 'mine', data: 'a', ack: true })).toMatchObject({
    op: 'ack',
  });
  expect((await alice.messages(1))[0]).toMatchObject({ topic: 'mine' });
  // A known vhost keeps its own rules: zed is in none of a.example's groups.
  expect((await vh.attempt('a.example', 'zed'))[1]).toMatchObject({ code: 'LOGON_FAILED' });
});

it("applies the broker's connection limit above the vhosts' own", async () => {
  await start(
    { enabled: true, policies: [{ ...A_EXAMPLE, maxConnections: 10 }] },
    { admission: { maxConnections: 2 } },
  );
  await vh.logon('a.example', 'alice');
  await vh.logon('a.example', 'alice');
  expect((await vh.attempt('a.example', 'alice'))[1]).toMatchObject({ code: 'CONNECTION_LIMIT' });
});

it('authenticates in a vhost with its own module, and elsewhere with the broker’s', async () => {
  const hash = await hashPassword('secret', { N: 1024, r: 8, p: 1 });
  await start({
    enabled: true,
    policies: [
      {
        ...A_EXAMPLE,
        authentication: { module: 'users', options: { users: [{ name: 'alice', hash }], defaultHosts: ['*'] } },
      },
      { hostname: 'b.example', groups: { traders: { users: ['alice'], remoteHosts: '*', sources: '#' } } },
    ],
  });
  expect((await vh.attempt('a.example', 'alice', 'wrong'))[1]).toMatchObject({ code: 'LOGON_FAILED' });
  expect((await vh.attempt('a.example', 'alice', 'secret'))[1]).toMatchObject({ op: 'ack' });
  // b.example has none: the broker's allow-any takes any password.
  expect((await vh.attempt('b.example', 'alice', 'wrong'))[1]).toMatchObject({ op: 'ack' });
});
