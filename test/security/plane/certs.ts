// Test certificates made at test time with the openssl command: a self-signed certificate for
// 127.0.0.1 and localhost over a key of the asked kind, in a fresh folder.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { tempDir } from '../../fixtures/server.ts';

export type KeyKind = 'rsa2048' | 'rsa1024' | 'p256' | 'secp256k1' | 'ed25519';

const GENPKEY: Record<KeyKind, string[]> = {
  rsa2048: ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'],
  rsa1024: ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:1024'],
  p256: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'],
  secp256k1: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:secp256k1'],
  ed25519: ['-algorithm', 'ED25519'],
};

export interface CertFiles {
  cert: string;
  key: string;
  dir: string;
}

const openssl = (args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'] });

/** A key of the given kind and a self-signed certificate over it, valid for a day. */
export function makeCert(kind: KeyKind, dir = tempDir('mg-tls-'), name = kind): CertFiles {
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.crt`);
  openssl(['genpkey', ...GENPKEY[kind], '-out', key]);
  openssl(['req', '-x509', '-new', '-key', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1']);
  return { cert, key, dir };
}
