// The configuration loader's public surface.
export {
  ConfigError,
  CONFIG_PATH_ENV,
  DEFAULT_CONFIG_PATH,
  defaultConfig,
  loadConfigFile,
  parseConfig,
  resolveConfigPath,
  type ConfigIssue,
  type ConfigSource,
} from './load.js';
export { deepFreeze } from './deep-freeze.js';
export {
  LOG_LEVELS,
  WEBSOCKET_ENGINES,
  engineOf,
  wardenConfigSchema,
  type WebSocketEngine,
  type BrokerConfig,
  type ListenerConfig,
  type LogConfig,
  type LogLevel,
  type NativeListenerConfig,
  type NativeListenerOptions,
  type MqttListenerConfig,
  type MqttListenerOptions,
  type MqttConfig,
  type ShutdownConfig,
  type ModuleSpec,
  type SecurityConfig,
  type AdminConfig,
  type TopicsConfig,
  type WardenConfig,
} from './schema.js';
export {
  DEFAULT_TLS_MIN_VERSION,
  MQTTS_DEFAULT_PORT,
  TLS_VERSIONS,
  type ListenerTlsConfig,
  type TlsConfig,
  type TlsProfileConfig,
  type TlsVersion,
} from './tls-schema.js';
