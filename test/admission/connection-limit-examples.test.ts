// The connection-limit examples of two vendor documents, through real connections: the "Session
// Parameter Configuration Example" of netconfd-pro's Session Admission Control (5 allowed users,
// max-sessions 32, max-user-sessions 10, max-per-user-sessions guest1:1 and guest2:1) and the tiers
// of Apache Knox's concurrent session verification with their defaults (non-privileged 2,
// privileged 3, unlimited), counted per user over native and MQTT connections alike.
import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../protocol/native.js';
import { refusedLogon, useAdmissionFixture } from './fixture.js';

const fx = useAdmissionFixture();

/** netconfd-pro, "Session Parameter Configuration Example", in our terms. */
const NETCONFD_EXAMPLE = {
  allowedUsers: ['admin1', 'admin2', 'admin3', 'guest1', 'guest2'],
  maxConnections: 32,
  userLimits: { enabled: true, default: 10, users: { guest1: 1, guest2: 1 } },
};

describe('netconfd-pro: the session example', () => {
  it('only the 5 allowed users; guests 1 each; admins 10 each; 32 in all', async () => {
    const tb = await fx.start({ admission: NETCONFD_EXAMPLE });
    expect((await refusedLogon(fx, 'admin4')).error.code).toBe(ErrorCodes.USER_NOT_ALLOWED);

    await fx.admitted('guest1');
    expect((await refusedLogon(fx, 'guest1')).error.code).toBe(ErrorCodes.CONNECTION_LIMIT);
    // Counted per user over every listener: guest2 over MQTT, then natively.
    await fx.mqtt.connect(tb.mqttUrl, 5, { username: 'guest2' });
    expect((await refusedLogon(fx, 'guest2')).error.code).toBe(ErrorCodes.CONNECTION_LIMIT);

    // 10 for each admin, half of them over MQTT; the 11th is refused whichever protocol it uses.
    for (const admin of ['admin1', 'admin2', 'admin3']) {
      for (let i = 0; i < 5; i++) await fx.admitted(admin);
      for (let i = 0; i < 5; i++)
        await fx.mqtt.connect(i % 2 === 0 ? tb.mqttUrl : tb.mqttWsUrl, i % 2 === 0 ? 5 : 4, { username: admin });
    }
    expect(tb.broker.admission.counts()).toMatchObject({
      connections: 32,
      users: { admin1: 10, admin2: 10, admin3: 10, guest1: 1, guest2: 1 },
    });
    expect((await refusedLogon(fx, 'admin1')).error.code).toBe(ErrorCodes.CONNECTION_LIMIT);
    expect((await fx.mqtt.refusal(tb.mqttUrl, 5, { username: 'admin2' })).code).toBe(0x97);
    expect((await fx.mqtt.refusal(tb.mqttUrl, 4, { username: 'admin3' })).code).toBe(3);
    expect(tb.broker.stats()).toMatchObject({
      connectionsRefusedUser: 1,
      connectionsRefusedLimit: 5,
      admittedConnections: 32,
    });
  });

  it('max-sessions 32 holds even for a user with no per-user limit', async () => {
    const tb = await fx.start({
      admission: { ...NETCONFD_EXAMPLE, userLimits: { ...NETCONFD_EXAMPLE.userLimits, unlimited: ['admin1'] } },
    });
    for (let i = 0; i < 32; i++) await fx.admitted('admin1');
    const refused = await refusedLogon(fx, 'admin1');
    expect(refused.error.code).toBe(ErrorCodes.CONNECTION_LIMIT);
    expect(tb.broker.admission.counts().connections).toBe(32);
  });
});

describe('Apache Knox: concurrent session tiers', () => {
  const tiers = { privileged: { users: ['priv', 'both'] }, unlimited: ['root', 'both'] };

  it('defaults: non-privileged 2, privileged 3, unlimited none (even if also privileged)', async () => {
    const tb = await fx.start({ admission: { userLimits: { enabled: true, ...tiers } } });
    for (let i = 0; i < 2; i++) await fx.admitted('joe');
    expect((await refusedLogon(fx, 'joe')).error.code).toBe(ErrorCodes.CONNECTION_LIMIT);
    for (let i = 0; i < 3; i++) await fx.admitted('priv');
    expect((await fx.mqtt.refusal(tb.mqttUrl, 5, { username: 'priv' })).code).toBe(0x97);
    for (let i = 0; i < 6; i++) await fx.admitted(i % 2 === 0 ? 'root' : 'both');
    expect(tb.broker.admission.counts().users).toEqual({ joe: 2, priv: 3, root: 3, both: 3 });
  });

  it('configured limits replace the defaults', async () => {
    await fx.start({
      admission: { userLimits: { enabled: true, default: 1, privileged: { users: ['priv'], limit: 2 } } },
    });
    await fx.admitted('joe');
    expect((await refusedLogon(fx, 'joe')).error.code).toBe(ErrorCodes.CONNECTION_LIMIT);
    await fx.admitted('priv');
    await fx.admitted('priv');
    expect((await refusedLogon(fx, 'priv')).error.code).toBe(ErrorCodes.CONNECTION_LIMIT);
  });

  it('the verifier switched off: no per-user limit, whatever the tiers say', async () => {
    const tb = await fx.start({ admission: { userLimits: { enabled: false, default: 1, ...tiers } } });
    for (let i = 0; i < 4; i++) await fx.admitted('joe');
    expect(tb.broker.admission.counts().users).toEqual({ joe: 4 });
  });

  it('a per-user limit (netconfd-pro) wins over the privileged tier', async () => {
    await fx.start({
      admission: { userLimits: { enabled: true, privileged: { users: ['priv'] }, users: { priv: 1 } } },
    });
    await fx.admitted('priv');
    expect((await refusedLogon(fx, 'priv')).error.code).toBe(ErrorCodes.CONNECTION_LIMIT);
  });
});
