// The store `persistence` asks for, opened; a StoreError (naming the path and what to do) when it
// cannot be. The broker never falls back to an empty store in silence.
import path from 'node:path';
import type { Logger } from 'pino';
import type { PersistenceConfig } from '../config/index.js';
import type { BrokerStats } from '../stats.js';
import { LmdbStore } from './lmdb-store.js';
import { MemoryStore } from './memory-store.js';
import type { BrokerStore } from './store.js';
import { DeferredStore } from './deferred-store.js';

export function openStore(config: PersistenceConfig, stats: BrokerStats, log: Logger): BrokerStore {
  if (config.store === 'memory') return new MemoryStore();
  // The cluster's Redis store: attached when the broker has connected to Redis (Broker.start).
  if (config.store === 'redis') return new DeferredStore('redis');
  return LmdbStore.open(
    { path: path.resolve(config.path), sync: config.sync, syncIntervalMs: config.syncIntervalMs },
    stats,
    log,
  );
}
