// `warden-broker/client`: the client SDK, which is its own package (@warden-broker/client), under the
// server package's name too, so code written against either name gets the same module.
export * from '@warden-broker/client';
