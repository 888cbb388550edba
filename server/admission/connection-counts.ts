// Admitted connections, in all, per user and per host, over every listener and protocol. Entries
// at zero are deleted, so the maps hold only users and hosts that are connected.
export class ConnectionCounts {
  private total = 0;
  private readonly users = new Map<string, number>();
  private readonly hosts = new Map<string, number>();

  get connections(): number {
    return this.total;
  }

  ofUser(user: string): number {
    return this.users.get(user) ?? 0;
  }

  ofHost(host: string): number {
    return this.hosts.get(host) ?? 0;
  }

  add(user: string, host: string): void {
    this.total++;
    this.users.set(user, this.ofUser(user) + 1);
    this.hosts.set(host, this.ofHost(host) + 1);
  }

  remove(user: string, host: string): void {
    this.total--;
    decrement(this.users, user);
    decrement(this.hosts, host);
  }

  snapshot(): AdmissionCounts {
    return { connections: this.total, users: Object.fromEntries(this.users), hosts: Object.fromEntries(this.hosts) };
  }
}

export interface AdmissionCounts {
  readonly connections: number;
  /** Admitted connections per user name. */
  readonly users: Readonly<Record<string, number>>;
  /** Admitted connections per remote address (IPv4-mapped IPv6 addresses as IPv4). */
  readonly hosts: Readonly<Record<string, number>>;
}

function decrement(map: Map<string, number>, key: string): void {
  const n = (map.get(key) ?? 0) - 1;
  if (n > 0) map.set(key, n);
  else map.delete(key);
}
