// The TLS part of the configuration (AMQ Interconnect §7.1.1, sslProfile): named profiles at the top
// level (certificate, private key and its passphrase, CAs, ciphers, protocol versions), and a
// listener's `tls: { profile, requireClientCertificate }`. The checks that need the whole
// document (the profile exists, listeners sharing a port agree) are in checkListenerTls.
import { z } from 'zod';
import { booleanField, stringField } from './fields.js';
import type { KeyPath } from './key-path.js';

/** Versions as Node's tls options spell them. SSLv3 is not offered: OpenSSL 3 cannot speak it. */
export const TLS_VERSIONS = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'] as const;
export type TlsVersion = (typeof TLS_VERSIONS)[number];

/** TLS 1.0 and 1.1 are deprecated (RFC 8996): only an explicit minVersion allows them, with a warning. */
export const DEFAULT_TLS_MIN_VERSION: TlsVersion = 'TLSv1.2';

/** MQTT over TLS's registered port, for an MQTT TCP listener with tls and no port. */
export const MQTTS_DEFAULT_PORT = 8883;

const PROFILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const PROFILE_NAME_FORM = 'a profile name of 1 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit';
const profileNameField = () => stringField(PROFILE_NAME, 64, PROFILE_NAME_FORM);

/** Relative paths resolve against the config file's directory, when the broker starts (and on every reload). */
const filePathField = () =>
  stringField(/^\S(.*\S)?$/, 4096, "a file path (relative paths are from the config file's directory)");

export const tlsProfileSchema = z
  .strictObject({
    /** PEM: the server certificate, optionally followed by its intermediate CA certificates. */
    certificate: filePathField(),
    /** PEM private key of the certificate, plain or encrypted. */
    privateKey: filePathField(),
    /** Unlocks an encrypted privateKey; use ${file:...} or ${env:...} to keep it out of the config. Read once, at start. */
    passphrase: z
      .string({ error: 'expected the private key passphrase as a string' })
      .min(1, { error: 'expected a non-empty passphrase' })
      .max(1024, { error: 'expected a passphrase of at most 1024 characters' })
      .optional(),
    /** A file holding the passphrase (one trailing newline ignored); re-read on every reload, so a rotated key may have a new one. */
    passphraseFile: filePathField().optional(),
    /** PEM CA certificates that client certificates must chain to (needed for requireClientCertificate). */
    ca: filePathField().optional(),
    /** OpenSSL cipher list (TLS 1.2 and below) and/or TLS 1.3 suite names, colon-separated. Default: Node's. */
    ciphers: stringField(
      /^[A-Za-z0-9_:+!@=.,\- ]+$/,
      4096,
      'an OpenSSL cipher list, e.g. "ECDHE+AESGCM:!aNULL"',
    ).optional(),
    minVersion: z.enum(TLS_VERSIONS).default(DEFAULT_TLS_MIN_VERSION),
    /** Default: the highest Node speaks (TLSv1.3). */
    maxVersion: z.enum(TLS_VERSIONS).optional(),
  })
  .superRefine((profile, ctx) => {
    if (profile.passphrase !== undefined && profile.passphraseFile !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['passphraseFile'],
        input: profile.passphraseFile,
        message: 'expected passphrase or passphraseFile, not both',
      });
    }
    if (
      profile.maxVersion !== undefined &&
      TLS_VERSIONS.indexOf(profile.maxVersion) < TLS_VERSIONS.indexOf(profile.minVersion)
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['maxVersion'],
        input: profile.maxVersion,
        message: `expected a version no lower than minVersion (${profile.minVersion})`,
      });
    }
  });

export const tlsSchema = z.strictObject({
  /** Profiles by name; listeners refer to them with `tls.profile`. */
  profiles: z
    .record(z.string(), tlsProfileSchema, { error: 'expected a map of TLS profiles by name' })
    .superRefine((profiles, ctx) => {
      // Checked here rather than by a key schema, whose failure zod reports without the key's form.
      for (const name of Object.keys(profiles)) {
        if (!PROFILE_NAME.test(name) || name.length > 64)
          ctx.addIssue({ code: 'custom', path: [name], input: name, message: `expected ${PROFILE_NAME_FORM}` });
      }
    })
    .default({}),
});

/** A listener's TLS: which profile, and whether clients must present a certificate signed by its ca. */
export const listenerTlsSchema = z.strictObject({
  profile: profileNameField(),
  requireClientCertificate: booleanField().default(false),
});

export type TlsConfig = z.output<typeof tlsSchema>;
export type TlsProfileConfig = z.output<typeof tlsProfileSchema>;
export type ListenerTlsConfig = z.output<typeof listenerTlsSchema>;

/** What checkListenerTls needs of a listener; structural, so it holds for every listener kind. */
interface ListenerLike {
  readonly protocol: string;
  /** Absent on HTTP publish listeners, which have one engine. */
  readonly transport?: string;
  readonly host: string;
  readonly port: number;
  readonly tls?: ListenerTlsConfig | undefined;
}

interface ConfigLike {
  readonly listeners: readonly ListenerLike[];
  readonly tls: TlsConfig;
}

/**
 * Whole-document checks: a listener's profile exists; client certificates need the profile's ca;
 * WebSocket listeners sharing a host:port (one HTTP server, so one TLS handshake before any path
 * is known) have the same TLS settings. (That uws listeners have no TLS is checked with the other
 * WebSocket engine rules, in schema.ts.)
 */
export function checkListenerTls(config: ConfigLike, ctx: z.core.$RefinementCtx<ConfigLike>): void {
  const names = Object.keys(config.tls.profiles);
  const sharedBy = new Map<string, number>();
  config.listeners.forEach((listener, index) => {
    const tls = listener.tls;
    if (tls !== undefined) {
      const profile = Object.hasOwn(config.tls.profiles, tls.profile) ? config.tls.profiles[tls.profile] : undefined;
      if (profile === undefined) {
        const known =
          names.length === 0 ? 'tls.profiles defines none' : `one of ${names.map((n) => JSON.stringify(n)).join(', ')}`;
        ctx.addIssue({
          code: 'custom',
          path: ['listeners', index, 'tls', 'profile'],
          input: tls.profile,
          message: `expected the name of a profile in tls.profiles (${known})`,
        });
      } else if (tls.requireClientCertificate && profile.ca === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['listeners', index, 'tls', 'requireClientCertificate'],
          input: true,
          message: `expected false, or a ca in tls.profiles.${tls.profile} (the CAs client certificates are checked against)`,
        });
      }
    }
    // Only WebSocket listeners share a host:port (MQTT over TCP and HTTP publish listeners never do).
    if (
      listener.port === 0 ||
      listener.protocol === 'http' ||
      (listener.protocol === 'mqtt' && listener.transport === 'tcp')
    )
      return;
    const address = `${listener.host.toLowerCase()}:${listener.port}`;
    const first = sharedBy.get(address);
    if (first === undefined) return void sharedBy.set(address, index);
    if (!sameTls(tls, config.listeners[first]!.tls)) {
      ctx.addIssue({
        code: 'custom',
        path: ['listeners', index, 'tls'],
        input: tls,
        message: `expected the same tls as listeners[${first}] on ${address} (WebSocket listeners on one host:port share one server, so one TLS setup)`,
      });
    }
  });
}

function sameTls(a: ListenerTlsConfig | undefined, b: ListenerTlsConfig | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.profile === b.profile && a.requireClientCertificate === b.requireClientCertificate;
}

/**
 * An MQTT TCP listener with tls and no port listens on 8883 (MQTT over TLS), not 1883. Runs on
 * the raw listeners list before validation, where "no port" can still be told from "1883".
 */
export function defaultMqttsPorts(listeners: unknown): unknown {
  if (!Array.isArray(listeners)) return listeners;
  return listeners.map((listener: unknown) => {
    if (typeof listener !== 'object' || listener === null || Array.isArray(listener)) return listener;
    const entry = listener as Record<string, unknown>;
    const tcp = entry.transport === undefined || entry.transport === 'tcp';
    if (entry.protocol !== 'mqtt' || !tcp || entry.tls === undefined || entry.tls === null || entry.port !== undefined)
      return listener;
    return { ...entry, port: MQTTS_DEFAULT_PORT };
  });
}

/** Key paths of every profile's passphrase: never shown in errors, even when written in the file itself. */
export function tlsSecretPaths(document: unknown): KeyPath[] {
  const profiles = (document as { tls?: { profiles?: unknown } } | null | undefined)?.tls?.profiles;
  if (typeof profiles !== 'object' || profiles === null || Array.isArray(profiles)) return [];
  return Object.entries(profiles)
    .filter(([, profile]) => typeof profile === 'object' && profile !== null && 'passphrase' in profile)
    .map(([name]) => ['tls', 'profiles', name, 'passphrase']);
}
