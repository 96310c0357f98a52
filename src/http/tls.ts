// HTTPS for the two planes: reads the configured certificate and key once at start and refuses weak
// or mismatched ones with MG_CONFIG_INVALID, so a misconfiguration stops the server instead of serving.
import { readFileSync } from 'node:fs';
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import type { SecureVersion } from 'node:tls';
import { ModelGateError } from '../errors.ts';

/** What Fastify's `https` option receives for one plane. */
export interface ServerTls {
  cert: Buffer;
  key: Buffer;
  minVersion: SecureVersion;
  ciphers: string;
  honorCipherOrder: boolean;
}

/** TLS of each plane; a plane without an entry serves plain HTTP. */
export interface PlaneTls {
  inference?: ServerTls;
  admin?: ServerTls;
}

export interface TlsSettings {
  tlsCert?: string;
  tlsKey?: string;
  adminTlsCert?: string;
  adminTlsKey?: string;
}

// Forward-secret AEAD suites only (Mozilla "intermediate" without DHE). TLS 1.3 suites are named too:
// Node takes both from this one string.
export const TLS_CIPHERS = [
  'TLS_AES_128_GCM_SHA256',
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');

const MIN_RSA_BITS = 2048;
const STRONG_CURVES = new Set(['prime256v1', 'secp384r1', 'secp521r1']);

const invalid = (message: string) => new ModelGateError('MG_CONFIG_INVALID', message);

function read(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    // The cause carries the reason (not found, permission denied): the CLI prints it.
    throw new ModelGateError('MG_CONFIG_INVALID', `${what} file ${path} cannot be read`, { cause: err });
  }
}

/** Refuses keys an attacker could break or that browsers and current clients reject. */
function checkStrength(key: KeyObject, where: string): void {
  const d = key.asymmetricKeyDetails ?? {};
  switch (key.asymmetricKeyType) {
    case 'rsa':
    case 'rsa-pss':
      if ((d.modulusLength ?? 0) < MIN_RSA_BITS) throw invalid(`${where}: an RSA key of ${d.modulusLength} bits is too weak; use at least ${MIN_RSA_BITS} bits (or EC P-256)`);
      return;
    case 'ec':
      if (!STRONG_CURVES.has(d.namedCurve ?? '')) throw invalid(`${where}: EC curve ${d.namedCurve} is not accepted; use P-256, P-384 or P-521`);
      return;
    case 'ed25519':
    case 'ed448':
      return;
    default:
      throw invalid(`${where}: a ${key.asymmetricKeyType} key cannot serve TLS here; use RSA 2048+ or EC P-256+`);
  }
}

/** Loads and checks one plane's certificate and key. */
export function loadServerTls(certPath: string, keyPath: string, plane: string, now = new Date()): ServerTls {
  const cert = read(certPath, `${plane} TLS certificate`);
  const key = read(keyPath, `${plane} TLS key`);
  let x509: X509Certificate;
  let privateKey: KeyObject;
  try {
    x509 = new X509Certificate(cert);
  } catch {
    throw invalid(`${plane} TLS certificate ${certPath} is not a PEM certificate`);
  }
  try {
    privateKey = createPrivateKey(key);
  } catch {
    // The parser's message could quote key material; say only where to look.
    throw invalid(`${plane} TLS key ${keyPath} is not an unencrypted PEM private key`);
  }
  checkStrength(privateKey, `${plane} TLS key ${keyPath}`);
  if (!x509.checkPrivateKey(privateKey)) throw invalid(`${plane} TLS certificate ${certPath} does not match the key ${keyPath}`);
  if (new Date(x509.validTo) < now) throw invalid(`${plane} TLS certificate ${certPath} expired on ${x509.validTo}`);
  return { cert, key, minVersion: 'TLSv1.2', ciphers: TLS_CIPHERS, honorCipherOrder: true };
}

/**
 * TLS of both planes from the settings: the admin plane uses its own pair or the inference plane's.
 * A certificate without its key (or the reverse) is refused rather than silently served as HTTP.
 */
export function loadTls(s: TlsSettings): PlaneTls | undefined {
  const pair = (cert: string | undefined, key: string | undefined, names: string): [string, string] | undefined => {
    if ((cert === undefined) !== (key === undefined)) throw invalid(`set both ${names} or neither`);
    return cert !== undefined && key !== undefined ? [cert, key] : undefined;
  };
  const inference = pair(s.tlsCert, s.tlsKey, 'tlsCert and tlsKey');
  const admin = pair(s.adminTlsCert, s.adminTlsKey, 'adminTlsCert and adminTlsKey') ?? inference;
  if (!inference && !admin) return undefined;
  return {
    ...(inference && { inference: loadServerTls(inference[0], inference[1], 'inference plane') }),
    ...(admin && { admin: loadServerTls(admin[0], admin[1], 'admin plane') }),
  };
}
