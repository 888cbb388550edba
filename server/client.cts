// `require('warden-broker/client')`: the SDK's CommonJS build, as server/client.ts is its ES module one.
export * from '@warden-broker/client';
