// The broker's TLS profiles (AMQ Interconnect's sslProfile): loaded at start (a bad file stops
// it, naming the key), handed to the servers of the listeners that use them, and reloaded without
// a restart (`warden admin reload-tls`): each profile's files are read again and, if they are
// good, every server of that profile gets the new secure context; new connections use it, open
// ones keep theirs. A profile whose new files are bad keeps its old context. A live reload of the
// config (SIGHUP, `warden admin reload`) does the same with the new settings, all or nothing.
import type { Logger } from 'pino';
import type { SecureContextOptions, TlsOptions } from 'node:tls';
import { ConfigError, type ListenerTlsConfig, type TlsConfig, type TlsProfileConfig } from '../config/index.js';
import { loadTlsMaterial, TlsMaterialError, type CertificateSummary, type TlsMaterial } from './tls-material.js';

/** A TLS server (https.Server, tls.Server) whose certificate can be swapped. */
export interface SecureContextHolder {
  setSecureContext(options: SecureContextOptions): void;
}

/** What a listener's server is created with, and how it stays current on reloads. */
export interface ServerTls {
  /** The profile's context plus the listener's client-certificate setting. */
  readonly options: TlsOptions;
  /** Keep `server` on the profile's current certificate from now on. */
  adopt(server: SecureContextHolder): void;
}

export type TlsProfileReload =
  | { readonly reloaded: true; readonly certificate: CertificateSummary }
  | { readonly reloaded: false; readonly error: string };

/** The outcome of a reload, per profile. */
export interface TlsReloadReport {
  readonly profiles: Readonly<Record<string, TlsProfileReload>>;
  /** How many profiles were reloaded, and how many kept their previous files. */
  readonly reloaded: number;
  readonly failed: number;
}

const LEGACY_VERSIONS: ReadonlySet<string> = new Set(['TLSv1', 'TLSv1.1']);

/**
 * A client must finish its handshake within this (Node's default is 120 s): until then it holds a
 * socket and has not met the protocol's own logon or CONNECT timeout.
 */
const HANDSHAKE_TIMEOUT_MS = 10_000;

interface Profile {
  /** Replaced by a live reload that changed the profile's settings. */
  config: TlsProfileConfig;
  material: TlsMaterial;
  readonly servers: Set<SecureContextHolder>;
}

export class TlsProfiles {
  private constructor(
    private readonly profiles: ReadonlyMap<string, Profile>,
    private readonly baseDir: string,
    private readonly log: Logger,
  ) {}

  /** Loads every profile; throws a ConfigError naming each profile key whose file is missing or unusable. */
  static load(config: TlsConfig, baseDir: string, log: Logger): TlsProfiles {
    const profiles = new Map<string, Profile>();
    const issues: { path: string; message: string }[] = [];
    for (const [name, profileConfig] of Object.entries(config.profiles)) {
      try {
        const material = loadTlsMaterial(profileConfig, baseDir);
        profiles.set(name, { config: profileConfig, material, servers: new Set() });
      } catch (err) {
        if (!(err instanceof TlsMaterialError)) throw err;
        issues.push({ path: `tls.profiles.${name}.${err.key}`, message: err.message });
      }
    }
    if (issues.length > 0) throw new ConfigError(issues);
    const loaded = new TlsProfiles(profiles, baseDir, log);
    for (const [name, profile] of profiles) loaded.announce(name, profile, 'TLS profile loaded');
    return loaded;
  }

  /** The server setup for a listener's `tls` (the config guarantees the profile exists). */
  forListener(tls: ListenerTlsConfig): ServerTls {
    const profile = this.profiles.get(tls.profile);
    if (profile === undefined) throw new Error(`no TLS profile "${tls.profile}"`);
    return {
      // Client certificates are asked for only where required: asking elsewhere makes browsers
      // prompt their users to pick one. Required means verified against the profile's ca.
      options: {
        ...profile.material.context,
        requestCert: tls.requireClientCertificate,
        rejectUnauthorized: true,
        handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
      },
      adopt: (server) => profile.servers.add(server),
    };
  }

  /**
   * A profile as this broker's outbound identity (the cluster's connection to Redis): its
   * certificate and key presented, its ca checking the server's certificate (the system CAs when
   * it has none). Read at connect time, so a reload applies from the next connection.
   */
  forClient(name: string): SecureContextOptions {
    const profile = this.profiles.get(name);
    if (profile === undefined) throw new Error(`no TLS profile "${name}"`);
    return profile.material.context;
  }

  /** Re-read every profile's files; swap in the good ones, keep the old context of the others. */
  reload(): TlsReloadReport {
    const report: Record<string, TlsProfileReload> = {};
    let reloaded = 0;
    for (const [name, profile] of this.profiles) {
      let material: TlsMaterial;
      try {
        material = loadTlsMaterial(profile.config, this.baseDir);
      } catch (err) {
        if (!(err instanceof TlsMaterialError)) throw err;
        const key = `tls.profiles.${name}.${err.key}`;
        this.log.error(
          { profile: name, key, reason: err.message },
          'TLS profile not reloaded; it keeps its previous certificate',
        );
        report[name] = { reloaded: false, error: `${key}: ${err.message}` };
        continue;
      }
      for (const server of profile.servers) server.setSecureContext(material.context);
      profile.material = material;
      this.announce(name, profile, 'TLS profile reloaded');
      report[name] = { reloaded: true, certificate: material.certificate };
      reloaded++;
    }
    const failed = this.profiles.size - reloaded;
    if (this.profiles.size === 0) this.log.info('TLS reload: no TLS profiles are configured');
    return { profiles: report, reloaded, failed };
  }

  /**
   * A live reload's profiles (the same names; their files or settings may differ): every one is
   * loaded and checked first, so that nothing changes when one is bad (ConfigError, naming each key
   * at fault). `commit` then swaps them all in, as reload() does for each good profile.
   */
  prepare(config: TlsConfig): { commit(): TlsReloadReport } {
    const loaded = new Map<string, { config: TlsProfileConfig; material: TlsMaterial }>();
    const issues: { path: string; message: string }[] = [];
    for (const name of this.profiles.keys()) {
      const profileConfig = config.profiles[name];
      if (profileConfig === undefined) throw new Error(`internal: a live reload removed TLS profile "${name}"`);
      try {
        loaded.set(name, { config: profileConfig, material: loadTlsMaterial(profileConfig, this.baseDir) });
      } catch (err) {
        if (!(err instanceof TlsMaterialError)) throw err;
        issues.push({ path: `tls.profiles.${name}.${err.key}`, message: err.message });
      }
    }
    if (issues.length > 0) throw new ConfigError(issues);
    return {
      commit: () => {
        const profiles: Record<string, TlsProfileReload> = {};
        for (const [name, next] of loaded) {
          const profile = this.profiles.get(name)!;
          for (const server of profile.servers) server.setSecureContext(next.material.context);
          profile.config = next.config;
          profile.material = next.material;
          this.announce(name, profile, 'TLS profile reloaded');
          profiles[name] = { reloaded: true, certificate: next.material.certificate };
        }
        return { profiles, reloaded: loaded.size, failed: 0 };
      },
    };
  }

  private announce(name: string, profile: Profile, message: string): void {
    const { material, config } = profile;
    this.log.info({ profile: name, certificate: material.certificate, servers: profile.servers.size }, message);
    if (material.outsideValidity) {
      this.log.warn(
        { profile: name, validFrom: material.certificate.validFrom, validTo: material.certificate.validTo },
        'TLS profile certificate is outside its validity period; clients will refuse it',
      );
    }
    if (LEGACY_VERSIONS.has(config.minVersion)) {
      this.log.warn(
        { profile: name, minVersion: config.minVersion },
        'TLS profile allows TLS versions below 1.2, which are deprecated (RFC 8996); OpenSSL 3 also needs ciphers with @SECLEVEL=0 for them',
      );
    }
  }
}
