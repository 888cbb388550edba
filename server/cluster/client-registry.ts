// Which node holds each MQTT client id, cluster-wide: `{namespace}:client:{id}` = {node, user},
// set when a node accepts a CONNECT for the id and removed when the id is free again there (no
// connection, no kept session, no waiting will). The claim is one Lua script, so that two nodes
// taking the same id at once are ordered by Redis, and mqtt.clientIdOwnership `user` is checked
// against the holder in the same step.
import type { Redis } from 'ioredis';
import { LuaScript } from './lua-script.js';

const CLAIM = new LuaScript(`
local old = redis.call('GET', KEYS[1])
if old and ARGV[3] == 'user' then
  local holder = cjson.decode(old)
  if holder.u ~= ARGV[2] then return {'refused', old} end
end
redis.call('SET', KEYS[1], cjson.encode({n = ARGV[1], u = ARGV[2]}))
return {'ok', old or ''}
`);

/** Each of KEYS that this node (ARGV[1]) still holds is deleted: a batch of released ids. */
const RELEASE = new LuaScript(`
local released = 0
for _, key in ipairs(KEYS) do
  local old = redis.call('GET', key)
  if old and cjson.decode(old).n == ARGV[1] then
    redis.call('DEL', key)
    released = released + 1
  end
end
return released
`);

/** Most ids released in one script call (its key list stays small). */
const RELEASE_BATCH = 500;

export type ClientClaim =
  /**
   * This node holds the id now; `previous` held it before (null: nobody, or this node); `held`:
   * some node (this one included) held it: unheld, no node has a session or will for it.
   */
  | { readonly kind: 'claimed'; readonly previous: string | null; readonly held: boolean }
  /** Another user holds it (mqtt.clientIdOwnership: user). */
  | { readonly kind: 'refused'; readonly user: string };

interface Holder {
  readonly n: string;
  readonly u: string;
}

export class ClientRegistry {
  constructor(
    private readonly redis: Redis,
    private readonly namespace: string,
    private readonly nodeId: string,
    /** Asked again when a batch of releases leaves: an id taken again meanwhile (a reconnection) stays. */
    private readonly inUse: (clientId: string) => boolean,
  ) {}

  private key(clientId: string): string {
    return `${this.namespace}:client:${clientId}`;
  }

  /** Take `clientId` for `user` on this node; rejects when Redis cannot be reached. */
  async claim(clientId: string, user: string, ownership: 'user' | 'any'): Promise<ClientClaim> {
    const [outcome, old] = (await CLAIM.run(this.redis, [this.key(clientId)], [this.nodeId, user, ownership])) as [
      string,
      string,
    ];
    const holder = old === '' ? null : (JSON.parse(old) as Holder);
    if (outcome === 'refused') return { kind: 'refused', user: holder!.u };
    return {
      kind: 'claimed',
      previous: holder === null || holder.n === this.nodeId ? null : holder.n,
      held: holder !== null,
    };
  }

  /** Which node holds each of `clientIds` (null: none), read in chunks. */
  async holders(clientIds: readonly string[]): Promise<(string | null)[]> {
    const out: (string | null)[] = [];
    for (let i = 0; i < clientIds.length; i += 1000) {
      const values = await this.redis.mget(...clientIds.slice(i, i + 1000).map((id) => this.key(id)));
      for (const value of values) out.push(value === null ? null : (JSON.parse(value) as Holder).n);
    }
    return out;
  }

  /**
   * `clientId` is free on this node: forgotten, unless another node holds it by now. The ids of one
   * turn of the event loop are released together (a disconnect storm is a few script calls);
   * a release lost with Redis leaves an entry another node's claim takes over anyway.
   */
  release(clientId: string): void {
    this.releasing.push(clientId);
    if (this.releasing.length > 1) return;
    setImmediate(() => {
      const keys = this.releasing.filter((id) => !this.inUse(id)).map((id) => this.key(id));
      this.releasing = [];
      for (let i = 0; i < keys.length; i += RELEASE_BATCH)
        RELEASE.run(this.redis, keys.slice(i, i + RELEASE_BATCH), [this.nodeId]).catch(() => {});
    });
  }

  private releasing: string[] = [];
}
