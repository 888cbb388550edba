// The public server API: `import { startBroker } from 'warden-broker/server'`. Everything else is internal.
export { startBroker, type BrokerHandle, type ReloadFrom, type StartBrokerOptions } from './start-broker.js';
// Live reload's answer (docs/admin.md#live-reload).
export type { RefusedChange, ReloadReset, ReloadResult, ResetMode } from './reload/reload-result.js';
export type { BoundListener } from './transports/bound-listener.js';
export type { AdmissionView } from './start-broker.js';
export type { AdmissionCounts } from './admission/connection-counts.js';
export {
  ConfigError,
  defaultConfig,
  loadConfigFile,
  parseConfig,
  type WardenConfig,
  type WardenConfigInput,
  type ListenerConfig,
  type NativeListenerConfig,
} from './config/index.js';
export * from '../protocol/native.js';
// For people writing their own authentication and entitlement modules (docs/authentication.md, docs/entitlement.md).
export type {
  AuthAnswer,
  AuthenticationModule,
  AuthenticationModuleFactory,
  EntitlementAction,
  EntitlementAnswer,
  EntitlementExplanation,
  EntitlementModule,
  EntitlementModuleFactory,
  EntitlementRequest,
  ExplainedRule,
  LogonMechanism,
  LogonRequest,
  MaybePromise,
  ModuleContext,
  ModuleHealth,
  ResourceType,
  CompactAnswer,
  ShadowResourceCount,
  ShadowUserCount,
  ShadowDifference,
  ShadowDifferenceKind,
  ShadowSummary,
} from './security/module-types.js';
export type { Timers, TimerHandle } from './timers.js';
export { parseModuleOptions } from './security/module-options.js';
export type {
  AdminActions,
  EntitlementStatus,
  ModuleHealthEntry,
  ModuleResetError,
  ResetResult,
} from './admin/admin-actions.js';
// TLS: the client certificate authentication modules see, and what a certificate reload reports (docs/tls.md).
export type { TlsPeerCertificate } from './tls/peer-certificate.js';
export type { TlsProfileReload, TlsReloadReport } from './tls/tls-profiles.js';
export type { CertificateSummary } from './tls/tls-material.js';
export { MemoryStore } from './store/memory-store.js';
export { RedisStore, type RedisStoreOptions, type SessionRecords } from './store/redis-store.js';
export { StoreError } from './store/store-error.js';
export type { BrokerStore, StoredState, SyncMode } from './store/store.js';
// Content filters and select lists, for tools that check rules before they go into a policy
// (docs/filters.md, docs/select-lists.md).
export {
  compileFilter,
  compileFilterWithSyntax,
  FilterError,
  FILTER_SYNTAXES,
  type CompiledFilter,
  type FilterSyntax,
} from './content/filter/index.js';
export {
  compileSelect,
  composeSelects,
  internSelect,
  parseSelect,
  SelectCache,
  SelectError,
  type CompiledSelect,
  type SelectStep,
} from './content/select/index.js';
// Password hashes for the `users` module, as `warden passwd` makes them (docs/authentication.md).
export {
  hashPassword,
  scramCredentials,
  verifyPassword,
  type ScryptParams,
} from './security/authentication/password-hash.js';
