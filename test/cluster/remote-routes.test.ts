// The replicated route table: which nodes may want a topic, kept by sequence-numbered changes;
// a missed change is reported (the caller re-reads the node), a stale read does not undo a newer
// change, and a node dropped gets nothing.
import { describe, expect, it } from 'vitest';
import { RemoteRoutes } from '../../server/cluster/remote-routes.js';
import { DEFAULT_TOPIC_LIMITS } from '../../server/topics/index.js';

const routes = () => new RemoteRoutes(DEFAULT_TOPIC_LIMITS);

describe('the route table of the other nodes', () => {
  it('answers exact, wildcard and regex interest, and $share groups apart', () => {
    const table = routes();
    table.replace('b', 10, ['e:sensors/1', 'w:alerts/#']);
    table.replace('c', 20, ['r:^sensors/[0-9]+$', 's:workers/sensors/+']);
    expect(table.fanout('sensors/1')).toEqual({ nodes: ['b', 'c'], shares: new Map([['workers/sensors/+', ['c']]]) });
    expect(table.fanout('alerts/fire/3').nodes).toEqual(['b']);
    expect(table.fanout('sensors/x')).toEqual({ nodes: [], shares: new Map([['workers/sensors/+', ['c']]]) });
    expect(table.fanout('other').nodes).toEqual([]);
  });

  it('applies changes in sequence and reports a gap', () => {
    const table = routes();
    table.replace('b', 5, ['e:x']);
    expect(table.apply('b', 6, ['e:y'], ['e:x'])).toBe(true);
    expect(table.fanout('x').nodes).toEqual([]);
    expect(table.fanout('y').nodes).toEqual(['b']);
    // Already seen: ignored, and fine.
    expect(table.apply('b', 6, ['e:x'], [])).toBe(true);
    expect(table.fanout('x').nodes).toEqual([]);
    // 8 after 6: one was missed.
    expect(table.apply('b', 8, ['e:z'], [])).toBe(false);
    expect(table.fanout('z').nodes).toEqual([]);
    // An unknown node: read it first.
    expect(table.apply('q', 1, ['e:z'], [])).toBe(false);
  });

  it('keeps a newer change over a read answered after it', () => {
    const table = routes();
    table.replace('b', 5, ['e:x']);
    expect(table.apply('b', 6, ['e:y'], [])).toBe(true);
    table.replace('b', 5, ['e:x']);
    expect(table.fanout('y').nodes).toEqual(['b']);
    expect(table.seqOf('b')).toBe(6);
  });

  it('drops a node entirely, and reads a node anew by replacing its set', () => {
    const table = routes();
    table.replace('b', 1, ['e:x', 'w:#']);
    expect(table.patternsOf('b')).toBe(2);
    table.replace('b', 2, ['e:x']);
    expect(table.fanout('anything').nodes).toEqual([]);
    table.drop('b');
    expect(table.fanout('x').nodes).toEqual([]);
    expect(table.knownNodes()).toEqual([]);
  });

  it('takes a pattern it cannot parse here as matching everything', () => {
    const table = new RemoteRoutes({ ...DEFAULT_TOPIC_LIMITS, maxRegexLength: 4 });
    table.replace('b', 1, ['r:^a-long-regex-this-node-refuses$']);
    expect(table.fanout('whatever/topic').nodes).toEqual(['b']);
  });
});
