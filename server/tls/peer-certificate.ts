// The verified client certificate of a TLS connection, as a plain object for authentication
// modules (LogonRequest.peerCertificate): the names a module may map to an identity, and facts
// for logs. Only a certificate the TLS layer verified against the listener's CAs is reported.
import type { Socket } from 'node:net';
import { TLSSocket, type PeerCertificate } from 'node:tls';

export interface TlsPeerCertificate {
  /** The subject's common name (CN); undefined when it has none, or more than one. */
  readonly commonName: string | undefined;
  /** subjectAltName entries by type, in certificate order. */
  readonly dnsNames: readonly string[];
  readonly emailAddresses: readonly string[];
  readonly uris: readonly string[];
  readonly ipAddresses: readonly string[];
  /** The issuer's common name, for logs. */
  readonly issuerCommonName: string | undefined;
  /** Hex, as Node reports it. */
  readonly serialNumber: string;
  /** SHA-256 fingerprint of the certificate, colon-separated hex. */
  readonly fingerprint256: string;
  readonly validFrom: string;
  readonly validTo: string;
}

/** The verified peer certificate of `socket`, or undefined (not TLS, no certificate, not verified). */
export function peerCertificateOf(socket: Socket): TlsPeerCertificate | undefined {
  if (!(socket instanceof TLSSocket) || !socket.authorized) return undefined;
  const cert = socket.getPeerCertificate(false) as PeerCertificate | null;
  if (cert === null || Object.keys(cert).length === 0) return undefined;
  const names = parseSubjectAltNames(cert.subjectaltname);
  return {
    commonName: single(cert.subject?.CN),
    dnsNames: names.DNS,
    emailAddresses: names.email,
    uris: names.URI,
    ipAddresses: names['IP Address'],
    issuerCommonName: single(cert.issuer?.CN),
    serialNumber: cert.serialNumber,
    fingerprint256: cert.fingerprint256,
    validFrom: cert.valid_from,
    validTo: cert.valid_to,
  };
}

/** Node gives an attribute that occurs several times as an array: no single value then. */
function single(value: string | readonly string[] | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

type SanType = 'DNS' | 'email' | 'URI' | 'IP Address';
const SAN_TYPES: ReadonlySet<string> = new Set<SanType>(['DNS', 'email', 'URI', 'IP Address']);

/**
 * Node's `subjectaltname` text: `DNS:a, IP Address:127.0.0.1, email:x@y`. Values with a comma,
 * quote or other special character come JSON-quoted (`DNS:"a, b"`), so a crafted name cannot
 * pose as two entries. Other types (othername, DirName) are skipped.
 */
export function parseSubjectAltNames(text: string | undefined): Record<SanType, string[]> {
  const out: Record<SanType, string[]> = { DNS: [], email: [], URI: [], 'IP Address': [] };
  if (text === undefined) return out;
  let at = 0;
  while (at < text.length) {
    const colon = text.indexOf(':', at);
    if (colon === -1) break;
    const type = text.slice(at, colon);
    let value: string;
    let end: number;
    if (text[colon + 1] === '"') {
      end = colon + 2;
      while (end < text.length && text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      end++;
      try {
        value = JSON.parse(text.slice(colon + 1, end)) as string;
      } catch {
        break; // not Node's format: trust nothing after it
      }
    } else {
      const comma = text.indexOf(', ', colon + 1);
      end = comma === -1 ? text.length : comma;
      value = text.slice(colon + 1, end);
    }
    if (SAN_TYPES.has(type)) out[type as SanType].push(value);
    at = text.startsWith(', ', end) ? end + 2 : end;
  }
  return out;
}
