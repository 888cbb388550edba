// Which node holds each MQTT client id, cluster-wide: `{namespace}:client:{id}` = {node, user},
// set when a node accepts a CONNECT for the id and removed when the id is free again there (no
// connection, no kept session, no waiting will). The claim is one Lua script, so that two nodes
// taking the same id at once are ordered by Redis, and mqtt.clientIdOwnership `user` is checked
// against the holder in the same step.
import type { Redis } from 'ioredis';

const CLAIM = `
local old = redis.call('GET', KEYS[1])
if old and ARGV[3] == 'user' then
  local holder = cjson.decode(old)
  if holder.u ~= ARGV[2] then return {'refused', old} end
end
redis.call('SET', KEYS[1], cjson.encode({n = ARGV[1], u = ARGV[2]}))
return {'ok', old or ''}
`;

const RELEASE = `
local old = redis.call('GET', KEYS[1])
if not old then return 0 end
if cjson.decode(old).n ~= ARGV[1] then return 0 end
return redis.call('DEL', KEYS[1])
`;

export type ClientClaim =
  /** This node holds the id now; `previous` held it before (null: nobody, or this node). */
  | { readonly kind: 'claimed'; readonly previous: string | null }
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
  ) {}

  private key(clientId: string): string {
    return `${this.namespace}:client:${clientId}`;
  }

  /** Take `clientId` for `user` on this node; rejects when Redis cannot be reached. */
  async claim(clientId: string, user: string, ownership: 'user' | 'any'): Promise<ClientClaim> {
    const [outcome, old] = (await this.redis.eval(CLAIM, 1, this.key(clientId), this.nodeId, user, ownership)) as [
      string,
      string,
    ];
    const holder = old === '' ? null : (JSON.parse(old) as Holder);
    if (outcome === 'refused') return { kind: 'refused', user: holder!.u };
    return { kind: 'claimed', previous: holder === null || holder.n === this.nodeId ? null : holder.n };
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

  /** `clientId` is free on this node: forget it, unless another node holds it by now. */
  async release(clientId: string): Promise<void> {
    await this.redis.eval(RELEASE, 1, this.key(clientId), this.nodeId);
  }
}
