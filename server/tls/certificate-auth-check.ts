// The tls-cert authentication module needs a verified client certificate, which only listeners
// with tls.requireClientCertificate have: anywhere else every logon through it fails. Not a config
// error (refusing a listener's logons may be intended), but worth a warning at start-up.
import type { Logger } from 'pino';
import type { WardenConfig } from '../config/index.js';

const CERTIFICATE_MODULE = 'tls-cert';

export function warnCertificateAuthWithoutCertificates(config: WardenConfig, log: Logger): void {
  const instance = config.security.authentication.module;
  for (const listener of config.listeners) {
    const module = listener.authentication?.module ?? instance;
    if (module === CERTIFICATE_MODULE && listener.tls?.requireClientCertificate !== true) {
      log.warn(
        { listener: listener.name },
        'the tls-cert authentication module will refuse every logon on this listener: it has no tls.requireClientCertificate',
      );
    }
  }
  if (config.admin.enabled && (config.admin.authentication?.module ?? instance) === CERTIFICATE_MODULE) {
    log.warn(
      'admin requests cannot authenticate with the tls-cert module (the admin listener has no TLS): set admin.authentication',
    );
  }
}
