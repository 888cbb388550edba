// The public server API: `import { startBroker } from 'warden-broker/server'`. Everything else is internal.
export { startBroker, type BrokerHandle, type StartBrokerOptions } from './start-broker.js';
export type { BoundListener } from './transports/ws-listener.js';
export {
  ConfigError,
  defaultConfig,
  loadConfigFile,
  parseConfig,
  type WardenConfig,
  type ListenerConfig,
  type NativeListenerConfig,
} from './config/index.js';
export * from '../protocol/native.js';
