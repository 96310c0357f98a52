// AES-256-GCM for files inside a package: key parsing (raw, hex or base64, from a file or an
// environment variable), and encrypt/decrypt of one file's bytes, in memory only.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { ModelGateError } from '../../errors.ts';
import { encryptionAad } from './format.ts';

export const ENCRYPTION_KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** Accepts exactly 32 raw bytes, or text holding 64 hex characters or base64 of 32 bytes
 * (surrounding whitespace ignored). Anything else is refused rather than stretched or padded. */
export function parseEncryptionKey(value: string | Uint8Array, where = 'encryption key'): Buffer {
  if (typeof value !== 'string' && value.length === ENCRYPTION_KEY_BYTES) return Buffer.from(value);
  const text = (typeof value === 'string' ? value : Buffer.from(value).toString('latin1')).trim();
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, 'hex');
  if (/^[A-Za-z0-9+/]{43}=$/.test(text) || /^[A-Za-z0-9_-]{43}$/.test(text)) {
    const key = Buffer.from(text, 'base64');
    if (key.length === ENCRYPTION_KEY_BYTES) return key;
  }
  throw new ModelGateError(
    'MG_CONFIG_INVALID',
    `${where} must be 32 raw bytes, 64 hex characters or base64 of 32 bytes`,
  );
}

export type EncryptionKeySource = { file: string } | { env: string };

/** Reads a key from a file or from a named environment variable. */
export async function readEncryptionKey(
  source: EncryptionKeySource,
  environment: NodeJS.ProcessEnv = process.env,
): Promise<Buffer> {
  if ('file' in source) {
    let bytes: Buffer;
    try {
      bytes = await readFile(source.file);
    } catch (err) {
      throw new ModelGateError('MG_CONFIG_INVALID', `encryption key file ${source.file} cannot be read`, { cause: err });
    }
    return parseEncryptionKey(bytes, `encryption key file ${source.file}`);
  }
  const value = environment[source.env];
  if (value === undefined || value === '') {
    throw new ModelGateError('MG_CONFIG_INVALID', `environment variable ${source.env} holding the encryption key is not set`);
  }
  return parseEncryptionKey(value, `environment variable ${source.env}`);
}

export function generateEncryptionKey(): Buffer {
  return randomBytes(ENCRYPTION_KEY_BYTES);
}

export interface SealedFile {
  ciphertext: Buffer;
  iv: string;
  tag: string;
}

export interface FileBinding {
  name: string;
  version: string;
  file: string;
}

export function encryptFile(key: Buffer, plaintext: Uint8Array, binding: FileBinding): SealedFile {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(encryptionAad(binding.name, binding.version, binding.file));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { ciphertext, iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64') };
}

/** Throws MG_DECRYPTION_FAILED when the key is wrong or any byte of ciphertext, IV, tag or
 * binding changed: GCM cannot tell those apart, and neither should an attacker. */
export function decryptFile(key: Buffer, sealed: SealedFile, binding: FileBinding, keyId: string): Buffer {
  const iv = Buffer.from(sealed.iv, 'base64');
  const tag = Buffer.from(sealed.tag, 'base64');
  if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) {
    throw new ModelGateError('MG_DECRYPTION_FAILED', `${binding.file}: the IV must be ${IV_BYTES} bytes and the tag ${TAG_BYTES}`);
  }
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(encryptionAad(binding.name, binding.version, binding.file));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(sealed.ciphertext), decipher.final()]);
  } catch (err) {
    throw new ModelGateError(
      'MG_DECRYPTION_FAILED',
      `${binding.file} could not be decrypted with key '${keyId}': wrong key or tampered ciphertext`,
      { cause: err },
    );
  }
}
